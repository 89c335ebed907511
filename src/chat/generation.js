// @ts-check
/**
 * Which generation is under way, and whether the user reads it. Only replies the user reads
 * (normal, regenerate, swipe, continue) get the meta-prompt; quiet and impersonate
 * generations, dry runs (token counting) and prompts other extensions build with
 * generateRaw (no GENERATION_STARTED) do not. Pure: no SillyTavern, no DOM.
 */

const READ_BY_USER = new Set(['normal', 'regenerate', 'swipe', 'continue']);

export class GenerationTracker {
    constructor() {
        /** @type {{type: string, injected: boolean} | null} */
        this.current = null;
    }

    /** GENERATION_STARTED (type, options, dryRun) @param {string} type @param {boolean} dryRun */
    started(type, dryRun) {
        // A dry run fires on every chat open and after every reply and never ends: it must
        // not replace (or end) the generation actually under way.
        if (dryRun) return;
        this.current = { type: String(type || 'normal'), injected: false };
    }

    /** GENERATION_ENDED / GENERATION_STOPPED */
    ended() {
        this.current = null;
    }

    /**
     * Whether this prompt should carry the meta-prompt; true at most once per generation, so
     * a generateRaw prompt built while a reply streams is left alone.
     * @param {boolean} dryRun
     */
    claimInjection(dryRun) {
        const g = this.current;
        if (dryRun || !g || g.injected || !READ_BY_USER.has(g.type)) return false;
        g.injected = true;
        return true;
    }

    /** For a text-completion interceptor: whether this type is one the user reads. @param {string} type */
    static isReadByUser(type) {
        return READ_BY_USER.has(String(type || 'normal'));
    }
}
