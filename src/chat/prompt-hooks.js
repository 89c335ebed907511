// @ts-check
/**
 * What goes into the story model's prompt: the history without our pictures (the model sees
 * its own tags, never our `<img>` markup), and the instructions to write image prompts, as the
 * last system message (chat completion) or just before the reply (text completion).
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { pruneChatCompletion, pruneText } from '../format/prune.js';
import { injectMetaPrompt } from '../prompts/metaprompt.js';
import { buildMetaPrompt } from '../prompts/presets.js';
import { castForPrompt } from '../features/looks.js';
import { GenerationTracker } from './generation.js';
import { TokenWarmer } from './token-warm.js';

/** Extension prompt key for text-completion APIs (chat completion uses the prompt event). */
const EXT_PROMPT_KEY = 'inline_images_meta';
/** IN_CHAT (1), depth 0, SYSTEM role (0): just before the reply in a text-completion prompt. */
const setTextPrompt = (/** @type {string} */ text) => ctx().setExtensionPrompt?.(EXT_PROMPT_KEY, text, 1, 0, false, 0);

export class PromptHooks {
    /**
     * @param {object} deps
     * @param {() => import('../types').Settings} deps.settings
     * @param {GenerationTracker} deps.tracker
     * @param {(type: string) => void} deps.beforeGeneration told first, in the interceptor (a continue is about to start)
     */
    constructor(deps) {
        this.deps = deps;
        this.warmer = new TokenWarmer();
        /** Bound once: the same function must be the prompt event's last listener. */
        this.promptReady = this.promptReady.bind(this);
        this.interceptor = this.interceptor.bind(this);
    }

    /** The instructions for the next reply ('' when the prompt writer writes the prompts). */
    metaPromptText() {
        const settings = this.deps.settings();
        if (settings.promptMode === 'separate') return '';
        return buildMetaPrompt(settings.presets, settings.wordInterval, castForPrompt(settings.presets), settings.modelShapes);
    }

    /** CHAT_COMPLETION_PROMPT_READY: prune our images, add the meta-prompt last. @param {{chat: any[], dryRun: boolean}} data */
    promptReady(data) {
        if (!Array.isArray(data?.chat)) return;
        // A dry run counted the messages with our pictures; Send will count them without.
        if (data.dryRun) this.warmer.dryRun(data.chat);
        pruneChatCompletion(data.chat);
        if (!this.deps.settings().enabled || !this.deps.tracker.claimInjection(Boolean(data.dryRun))) return;
        // We are the event's last listener (re-asserted at every GENERATION_STARTED), so nothing
        // appends after this push.
        injectMetaPrompt(data.chat, this.metaPromptText());
        log.debug('meta-prompt added as the last system message');
    }

    /**
     * Generate interceptor (manifest): runs before every real generation of any API with shallow
     * copies of the chat. Pruning `.mes` here changes this prompt only, never the saved chat.
     * @param {any[]} chat @param {number} _contextSize @param {Function} _abort @param {string} type
     */
    async interceptor(chat, _contextSize, _abort, type) {
        this.deps.beforeGeneration(type);
        for (const message of chat) {
            if (typeof message?.mes === 'string' && message.mes.includes('data-iig')) message.mes = pruneText(message.mes);
        }
        // Chat completion gets it from the prompt event (as the last message); clearing it here
        // keeps a text-completion leftover from leaking in after the user switches API.
        const wanted = this.deps.settings().enabled && ctx().mainApi !== 'openai' && GenerationTracker.isReadByUser(type);
        setTextPrompt(wanted ? this.metaPromptText() : '');
    }

    /** GENERATION_STARTED @param {string} type @param {boolean} dryRun */
    generationStarted(type, dryRun) {
        this.deps.tracker.started(type, dryRun);
        // Stay the last listener even if another extension asked for that after us.
        const { eventSource, eventTypes } = ctx();
        if (!dryRun) eventSource.makeLast(eventTypes.CHAT_COMPLETION_PROMPT_READY, this.promptReady);
    }

    /** GENERATION_ENDED / GENERATION_STOPPED */
    generationEnded() {
        this.deps.tracker.ended();
        // The text-completion meta-prompt is for the reply just made; left in place, it would
        // go into prompts built later without our interceptor (token counting).
        setTextPrompt('');
    }
}
