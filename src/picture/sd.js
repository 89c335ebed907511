// @ts-check
/**
 * One picture through the user's Image Generation source: `/sd quiet=true`, with the chat's
 * seed when it has one.
 *
 * `/sd seed=N` sets Image Generation's saved seed for the call and puts back, when the call
 * ends, the value it found when it began. Two calls that overlap undo each other: the second
 * finds the first one's N and puts *that* back last, so the user's own seed would be lost.
 * SeedGuard keeps the user's seed from before the first of our overlapping calls and puts it
 * back after the last; while one of ours holds a seed, the others pass the user's own seed
 * explicitly, so each picture gets the seed it should.
 */
import { ctx, sdCommand, t } from '../st.js';
import { isSdModeKeyword } from '../format/tags.js';
import { openChatId } from '../chat/open-chat.js';

export class SeedGuard {
    /** @param {() => any} sdSettings Image Generation's settings object (extensionSettings.sd) */
    constructor(sdSettings) {
        this.sdSettings = sdSettings;
        this.holders = 0;
        /** @type {unknown} */
        this.original = undefined;
    }

    /**
     * Run `call` with the `seed` named argument it should pass (undefined: none).
     * @template T
     * @param {number | null} seed @param {(seed: number | undefined) => Promise<T>} call
     * @returns {Promise<T>}
     */
    async run(seed, call) {
        const sd = this.sdSettings();
        if (seed === null && this.holders === 0) return call(undefined);
        if (this.holders++ === 0) this.original = sd?.seed;
        const own = typeof this.original === 'number' ? this.original : -1;
        try {
            return await call(seed ?? own);
        } finally {
            if (--this.holders === 0 && sd && sd.seed !== this.original) {
                sd.seed = this.original;
                ctx().saveSettingsDebounced?.();
            }
        }
    }
}

const seeds = new SeedGuard(() => ctx().extensionSettings?.sd);

/**
 * Before 1.16.0 Image Generation names a saved picture to the second (humanizedDateTime in
 * RossAscends-mods.js has no milliseconds), so two pictures saved in one second share a file.
 * There our draws go one at a time, and each lets the next one start only once the clock has
 * passed into the next second: no two saves share a name.
 */
const coarseNames = () => {
    const stamp = ctx().humanizedDateTime;
    return typeof stamp === 'function' && !/ms$/.test(String(stamp()));
};
let coarseQueue = Promise.resolve();
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

/**
 * Draw one prompt with the user's Image Generation source.
 * @param {string} prompt @param {AbortSignal} signal @param {number | null} [seed] the chat's seed
 * @param {string} [negative] our negative prompt (`/sd negative=`, combined by Image Generation with its own)
 * @returns {Promise<string>} the image URL; rejects with a readable Error
 */
export function draw(prompt, signal, seed = null, negative = '') {
    if (!coarseNames()) return drawNow(prompt, signal, seed, negative);
    const mine = coarseQueue.then(() => (signal.aborted ? Promise.reject(signal.reason) : drawNow(prompt, signal, seed, negative)));
    coarseQueue = mine.catch(() => undefined).then(nextSecond);
    return mine;
}

/** @param {string} prompt @param {AbortSignal} signal @param {number | null} seed @param {string} negative @returns {Promise<string>} */
async function drawNow(prompt, signal, seed, negative) {
    const sd = sdCommand();
    if (!sd) throw Object.assign(new Error(t`the Image Generation extension is not available`), { permanent: true, notice: 'no-sd' });
    // `/sd` treats a few words (you, me, scene, ...) as modes; a trailing period keeps them prompts.
    const text = isSdModeKeyword(prompt) ? `${prompt}.` : prompt;
    const chatBefore = openChatId();
    const named = { quiet: 'true', _abortController: signal, ...(negative ? { negative } : {}) };
    const result = await seeds.run(seed, (value) => sd.callback({ ...named, ...(value === undefined ? {} : { seed: String(value) }) }, text));
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    if ((typeof result !== 'string' || !result) && openChatId() !== chatBefore) {
        // Image Generation throws away a picture that finishes after its chat was left
        // ("Chat changed, generated image discarded"): not a failure of the backend.
        throw Object.assign(new Error(t`the chat was switched while this image was drawn`), { chatChanged: true });
    }
    if (typeof result !== 'string' || !result) {
        throw Object.assign(new Error(t`Image Generation returned no image for this prompt`), { notice: 'draw-failed' });
    }
    // The command returns a saved path that is not URL-encoded (names with spaces).
    return /^(data:|https?:)/i.test(result) ? result : encodeURI(result);
}
