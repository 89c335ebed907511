// @ts-check
/**
 * One picture through the user's Image Generation source: `/sd quiet=true`, with the chat's
 * seed when it has one, the shape's size and the negative prompt.
 *
 * `/sd seed=N` (and `width=`, `height=`) set Image Generation's saved setting for the call and
 * put back, when the call ends, the value they found when it began. Two calls that overlap undo
 * each other: the second finds the first one's N and puts *that* back last, so the user's own
 * value would be lost. SettingsGuard keeps the user's value from before the first of our
 * overlapping calls and puts it back after the last.
 *
 * Image Generation reads the saved size when it builds the request, after awaits (a ComfyUI
 * workflow is fetched first), so a call that sets another size in between would lend the first
 * one its size. So calls overlap only when they pass the same values: a call with other values
 * waits until the running ones end (in order of arrival). (`negative=` is only a prefix for the
 * call and touches no saved setting.)
 */
import { ctx, sdCommand, t } from '../st.js';
import { isSdModeKeyword } from '../format/tags.js';
import { openChatId } from '../chat/open-chat.js';
import { countRequest } from './budget.js';

/** The `/sd` arguments that write Image Generation's saved settings (same names there). */
const GUARDED = /** @type {const} */ (['seed', 'width', 'height']);
/** @typedef {typeof GUARDED[number]} GuardedKey */
/**
 * For each key: a number to pass, 'own' to pass the user's own value, undefined for nothing.
 * @typedef {Partial<Record<GuardedKey, number | 'own'>>} Wanted
 */

export class SettingsGuard {
    /** @param {() => any} sdSettings Image Generation's settings object (extensionSettings.sd) */
    constructor(sdSettings) {
        this.sdSettings = sdSettings;
        /** @type {Map<GuardedKey, {holders: number, original: unknown}>} */
        this.held = new Map();
        /** Calls running now, all with the values `runningValues`. */
        this.running = 0;
        this.runningValues = '';
        /** @type {Array<{values: string, enter: () => void}>} calls waiting for other values to end, in order */
        this.waiting = [];
    }

    /** Wait until a call with these values may run. @param {string} values @returns {Promise<void>} */
    enter(values) {
        if (this.running === 0 || (values === this.runningValues && !this.waiting.length)) {
            this.running++;
            this.runningValues = values;
            return Promise.resolve();
        }
        return new Promise((enter) => this.waiting.push({ values, enter }));
    }

    /** A call ended: when it was the last, let the next values in (every call waiting with them). */
    leave() {
        if (--this.running > 0 || !this.waiting.length) return;
        const values = this.waiting[0].values;
        const next = this.waiting.filter((w) => w.values === values);
        this.waiting = this.waiting.filter((w) => w.values !== values);
        this.running = next.length;
        this.runningValues = values;
        next.forEach((w) => w.enter());
    }

    /** How many calls hold `key`'s setting now (0: none). @param {GuardedKey} key */
    holders(key) {
        return this.held.get(key)?.holders ?? 0;
    }

    /**
     * Run `call` with the named arguments it should pass.
     * @template T
     * @param {Wanted} wanted @param {(args: Partial<Record<GuardedKey, number>>) => Promise<T>} call
     * @returns {Promise<T>}
     */
    async run(wanted, call) {
        await this.enter(GUARDED.map((key) => String(wanted[key] ?? '')).join(','));
        try {
            return await this.hold(wanted, call);
        } finally {
            this.leave();
        }
    }

    /**
     * @template T
     * @param {Wanted} wanted @param {(args: Partial<Record<GuardedKey, number>>) => Promise<T>} call
     * @returns {Promise<T>}
     */
    async hold(wanted, call) {
        const sd = this.sdSettings();
        /** @type {Partial<Record<GuardedKey, number>>} */
        const args = {};
        /** @type {GuardedKey[]} */
        const mine = [];
        for (const key of GUARDED) {
            const want = wanted[key];
            let slot = this.held.get(key);
            if (want === undefined && !slot) continue;
            if (!slot) this.held.set(key, (slot = { holders: 0, original: sd?.[key] }));
            slot.holders++;
            mine.push(key);
            const own = typeof slot.original === 'number' ? slot.original : key === 'seed' ? -1 : undefined;
            const value = typeof want === 'number' ? want : own;
            if (value !== undefined) args[key] = value;
        }
        try {
            return await call(args);
        } finally {
            let changed = false;
            for (const key of mine) {
                const slot = /** @type {{holders: number, original: unknown}} */ (this.held.get(key));
                if (--slot.holders > 0) continue;
                this.held.delete(key);
                if (sd && sd[key] !== slot.original) {
                    sd[key] = slot.original;
                    changed = true;
                }
            }
            if (changed) ctx().saveSettingsDebounced?.();
        }
    }
}

const guard = new SettingsGuard(() => ctx().extensionSettings?.sd);

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

/** @typedef {import('../types').Sent} Sent */

/**
 * Draw one picture with the user's Image Generation source.
 * @param {Sent} sent the prompt and what goes with it
 * @param {AbortSignal} signal
 * @returns {Promise<string>} the image URL; rejects with a readable Error
 */
export function draw(sent, signal) {
    if (!coarseNames()) return drawNow(sent, signal);
    const mine = coarseQueue.then(() => (signal.aborted ? Promise.reject(signal.reason) : drawNow(sent, signal)));
    coarseQueue = mine.catch(() => undefined).then(nextSecond);
    return mine;
}

/** @param {Sent} sent @returns {Wanted} */
function wantedFor(sent) {
    /** @type {Wanted} */
    const wanted = typeof sent.seed === 'number' ? { seed: sent.seed } : {};
    if (sent.width && sent.height) Object.assign(wanted, { width: sent.width, height: sent.height });
    return wanted;
}

/** @param {Sent} sent @param {AbortSignal} signal @returns {Promise<string>} */
async function drawNow(sent, signal) {
    const sd = sdCommand();
    if (!sd) throw Object.assign(new Error(t`the Image Generation extension is not available`), { permanent: true, notice: 'no-sd' });
    // `/sd` treats a few words (you, me, scene, ...) as modes; a trailing period keeps them prompts.
    const text = isSdModeKeyword(sent.prompt) ? `${sent.prompt}.` : sent.prompt;
    const negative = sent.negative ? { negative: sent.negative } : {};
    const chatBefore = openChatId();
    const result = await guard.run(wantedFor(sent), async (args) => {
        // It may have waited for other sizes to be drawn: Image Generation would draw even for
        // an aborted signal, as it only listens for the abort to come.
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        countRequest(signal);
        const named = Object.fromEntries(Object.entries(args).map(([key, value]) => [key, String(value)]));
        return sd.callback({ quiet: 'true', _abortController: signal, ...negative, ...named }, text);
    });
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
