// @ts-check
/**
 * Inline Images: entry point. Wires SillyTavern's events to the pipeline; the logic lives in
 * the modules (pure ones under core/).
 */
import { ctx, missingApi, sdCommand, rewriteMessage, toast, toastOnce, t, tk } from './st.js';
import { loadSettings } from './settings.js';
import { log, setLogLevel } from './log.js';
import { Pipeline } from './pipeline.js';
import { GenerationTracker } from './generation.js';
import { insertImage } from './core/insertion.js';
import { isSdModeKeyword } from './core/parser.js';
import { renderForDisplay } from './core/display.js';
import { pruneChatCompletion, pruneText, restoreContinuedText } from './core/prune.js';
import { bindPanel } from './ui/panel.js';
import { bindPresets } from './ui/presets-panel.js';
import { injectMetaPrompt } from './core/metaprompt.js';
import { buildMetaPrompt } from './core/presets.js';
import { ManualGeneration } from './manual.js';

const SETTINGS_KEY = 'inlineImages';
/** Extension prompt key for text-completion APIs (chat completion uses the prompt event). */
const EXT_PROMPT_KEY = 'inline_images_meta';
const BASE_URL = new URL('..', import.meta.url).pathname;
/** 'third-party/<folder>' whatever the clone's folder is called. */
const EXTENSION_NAME = BASE_URL.replace(/^.*\/scripts\/extensions\//, '').replace(/\/$/, '');

/** @type {import('./types').Settings} */
let settings;
const tracker = new GenerationTracker();
/** @type {Pipeline} */
let pipeline;

function readSettings() {
    const c = ctx();
    const { settings: loaded, problems } = loadSettings(c.extensionSettings[SETTINGS_KEY]);
    if (problems.length) {
        log.warn('repaired saved settings:', problems.join('; '));
        toast(t`Some saved settings were invalid and have been repaired: ${problems.join('; ')}`, 'warning');
    }
    c.extensionSettings[SETTINGS_KEY] = loaded;
    if (problems.length) c.saveSettingsDebounced();
    setLogLevel(loaded.logLevel);
    applyImageWidth(loaded.imageWidth);
    return loaded;
}

function metaPromptText() {
    return buildMetaPrompt(settings.presets, settings.wordInterval);
}

/**
 * Draw one prompt with the user's Image Generation source, through `/sd quiet=true`.
 * @param {string} prompt @param {AbortSignal} signal
 */
async function draw(prompt, signal) {
    const sd = sdCommand();
    if (!sd) {
        toastOnce('no-sd', t`Image Generation is not available. Enable the built-in "Image Generation" extension and choose a source; the image prompts stay in the text.`, 'error');
        throw new Error(t`the Image Generation extension is not available`);
    }
    // `/sd` treats a few words (you, me, scene, ...) as modes; a trailing period keeps them prompts.
    const text = isSdModeKeyword(prompt) ? `${prompt}.` : prompt;
    const result = await sd.callback({ quiet: 'true', _abortController: signal }, text);
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    if (typeof result !== 'string' || !result) {
        toastOnce('draw-failed', t`An image could not be generated. Check the Image Generation settings (source, URL, model); the image prompt stays in the text.`);
        throw new Error(t`Image Generation returned no image for this prompt`);
    }
    // The command returns a saved path that is not URL-encoded (names with spaces).
    return /^(data:|https?:)/i.test(result) ? result : encodeURI(result);
}

/** Refresh a message's display at most once per frame. @type {Set<any>} */
const dirty = new Set();
/** @param {import('./types').ChatMessage} message */
function refresh(message) {
    if (dirty.has(message)) return;
    dirty.add(message);
    requestAnimationFrame(() => {
        dirty.delete(message);
        const c = ctx();
        const index = c.chat.indexOf(message);
        if (index >= 0) c.updateMessageBlock(index, message);
    });
}

/** The message SillyTavern is streaming into, if any. */
function streamingTarget() {
    const sp = ctx().streamingProcessor;
    if (!sp || sp.messageId < 0 || sp.type === 'impersonate' || sp.isFinished || sp.isStopped) return null;
    const message = ctx().chat[sp.messageId];
    return message ? { message, sp } : null;
}

/** @param {string} text */
function onStreamToken(text) {
    if (!settings.enabled) return;
    const target = streamingTarget();
    if (!target) return;
    const { message, sp } = target;
    if (!pipeline.streams.has(message)) {
        pipeline.streamStarted(message, message.swipe_id ?? 0, sp.type === 'continue' ? String(sp.continueMessage ?? '') : '');
    }
    pipeline.streamText(message, text);
}

/**
 * Messages being continued: their text from before (images included) and that text pruned,
 * as the interceptor left it. SillyTavern continues from the pruned copy and writes it back
 * with the new text.
 * @type {Map<import('./types').ChatMessage, {original: string, pruned: string}>}
 */
const continued = new Map();

/**
 * Put the images back into the part of a continued message that was there before. Edits
 * the text in place, synchronously: SillyTavern renders and saves the message after its
 * MESSAGE_RECEIVED listeners. @param {import('./types').ChatMessage} message
 * @returns {boolean} whether the text changed
 */
function restoreContinued(message) {
    const entry = continued.get(message);
    if (!entry) return false;
    continued.delete(message);
    const before = message.mes ?? '';
    const after = restoreContinuedText(before, entry.original, entry.pruned);
    if (after === before) return false;
    const swipeId = message.swipe_id ?? 0;
    if (Array.isArray(message.swipes) && message.swipes[swipeId] === before) message.swipes[swipeId] = after;
    message.mes = after;
    log.debug('put the images back into a continued message');
    return true;
}

/** @param {number} messageId */
function onMessageReceived(messageId) {
    const message = ctx().chat[messageId];
    if (!message) return;
    if (restoreContinued(message)) refresh(message);
    if (!settings.enabled || message.is_user || message.is_system) {
        pipeline.settle(message); // images already drawn are kept; no new ones start
        return;
    }
    pipeline.messageFinished(message);
}

/**
 * After a generation ends or stops, settle what MESSAGE_RECEIVED did not: SillyTavern sends
 * none when a swipe or continue fails mid-stream. Both steps are idempotent, so running
 * after a normal finish changes nothing.
 */
let settleTimer = 0;
function settleAfterGeneration() {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
        // A new generation has begun: its own end settles everything then.
        if (tracker.current) return;
        const active = streamingTarget()?.message;
        for (const message of [...continued.keys()]) {
            if (message === active || !restoreContinued(message)) continue;
            refresh(message);
            void ctx().saveChat(); // no MESSAGE_RECEIVED came, so SillyTavern saves nothing after us
        }
        for (const message of [...pipeline.streams.keys()]) {
            if (message === active) continue;
            if (settings.enabled && ctx().chat.includes(message)) pipeline.messageFinished(message);
            else pipeline.settle(message);
        }
    }, 300);
}

/** CHAT_COMPLETION_PROMPT_READY: prune our images, add the meta-prompt last. */
function onPromptReady(/** @type {{chat: any[], dryRun: boolean}} */ data) {
    if (!Array.isArray(data?.chat)) return;
    pruneChatCompletion(data.chat);
    if (!settings.enabled || !tracker.claimInjection(Boolean(data.dryRun))) return;
    // We are the event's last listener (re-asserted at every GENERATION_STARTED), so nothing
    // appends after this push.
    injectMetaPrompt(data.chat, metaPromptText());
    log.debug('meta-prompt added as the last system message');
}

/**
 * Generate interceptor (manifest): runs before every real generation of any API with shallow
 * copies of the chat. Pruning `.mes` here changes this prompt only, never the saved chat.
 * @param {any[]} chat @param {number} _contextSize @param {Function} _abort @param {string} type
 */
async function interceptor(chat, _contextSize, _abort, type) {
    const c = ctx();
    if (type === 'continue') {
        const target = c.chat[c.chat.length - 1];
        if (typeof target?.mes === 'string' && target.mes.includes('data-iig')) {
            continued.set(target, { original: target.mes, pruned: pruneText(target.mes) });
        }
    }
    for (const message of chat) {
        if (typeof message?.mes === 'string' && message.mes.includes('data-iig')) message.mes = pruneText(message.mes);
    }
    // Chat completion gets it from the prompt event (as the last message); clearing it here
    // keeps a text-completion leftover from leaking in after the user switches API.
    const wanted = settings.enabled && c.mainApi !== 'openai' && GenerationTracker.isReadByUser(type);
    // IN_CHAT (1), depth 0, SYSTEM role (0): just before the reply in a text-completion prompt.
    c.setExtensionPrompt?.(EXT_PROMPT_KEY, wanted ? metaPromptText() : '', 1, 0, false, 0);
}

function registerEvents() {
    const { eventSource, eventTypes: E } = ctx();
    eventSource.on(E.GENERATION_STARTED, (type, _options, dryRun) => {
        tracker.started(type, dryRun);
        // Stay the last listener even if another extension asked for that after us.
        if (!dryRun) eventSource.makeLast(E.CHAT_COMPLETION_PROMPT_READY, onPromptReady);
    });
    const ended = () => {
        tracker.ended();
        // The text-completion meta-prompt is for the reply just made; left in place, it
        // would go into prompts built later without our interceptor (token counting).
        ctx().setExtensionPrompt?.(EXT_PROMPT_KEY, '', 1, 0, false, 0);
        settleAfterGeneration();
    };
    eventSource.on(E.GENERATION_ENDED, ended);
    eventSource.on(E.GENERATION_STOPPED, ended);
    eventSource.makeLast(E.CHAT_COMPLETION_PROMPT_READY, onPromptReady);
    eventSource.on(E.STREAM_TOKEN_RECEIVED, onStreamToken);
    eventSource.on(E.MESSAGE_RECEIVED, onMessageReceived);
    eventSource.on(E.CHAT_CHANGED, () => pipeline.dropOrphans(ctx().chat, 'chat changed'));
    eventSource.on(E.MESSAGE_DELETED, () => pipeline.dropOrphans(ctx().chat, 'message deleted'));
}

/** Translated once per call: cheap, and follows a language switch without a reload. */
const placeholderLabels = () => ({ pending: tk('iig_drawing', 'drawing…'), failed: tk('iig_image_failed', 'image failed (hover for details)') });

function registerDisplayHook() {
    const formatter = ctx().messageFormatter;
    if (!formatter?.addHook) {
        log.info('this SillyTavern has no message formatter hooks (1.19.0+); images appear when a reply ends');
        return;
    }
    formatter.addHook((/** @type {string} */ mes, /** @type {any} */ fctx) => {
        if (fctx?.isUser || fctx?.isSystem || typeof mes !== 'string') return mes;
        const message = ctx().chat[fctx?.messageId];
        // While a continue streams, the text lacks the images of its earlier part.
        const entry = message ? continued.get(message) : undefined;
        if (entry) mes = restoreContinuedText(mes, entry.original, entry.pruned);
        const states = message && pipeline ? pipeline.statesFor(message) : null;
        return renderForDisplay(mes, states, { hideUnfinished: true, labels: states ? placeholderLabels() : undefined });
    }, { stage: formatter.stage?.BEFORE_REGEX ?? 'beforeRegex', order: formatter.order?.EARLY ?? 10 });
}

/** @param {number} percent */
function applyImageWidth(percent) {
    document.documentElement.style.setProperty('--iig-image-width', `${percent}%`);
}

/** Rewrite a swipe of a message and tell SillyTavern (see st.js). @type {import('./manual.js').Rewrite} */
const rewrite = (message, swipeId, transform) => rewriteMessage(message, swipeId, transform);

/** @param {import('./types').Settings} next */
function saveSettings(next) {
    settings = next;
    const c = ctx();
    c.extensionSettings[SETTINGS_KEY] = { ...next, version: c.extensionSettings[SETTINGS_KEY]?.version };
    c.saveSettingsDebounced();
    setLogLevel(next.logLevel);
    applyImageWidth(next.imageWidth);
    pipeline.applySettings();
}

async function mountPanel() {
    const c = ctx();
    const html = await c.renderExtensionTemplateAsync(EXTENSION_NAME, 'templates/settings');
    const host = document.getElementById('extensions_settings2') ?? document.getElementById('extensions_settings');
    if (!host) return log.warn('no Extensions panel to put the settings drawer in');
    const wrapper = document.createElement('div');
    wrapper.innerHTML = html;
    host.append(wrapper);
    const panel = bindPanel(wrapper, { get: () => settings, save: saveSettings });
    const presets = bindPresets(wrapper, { get: () => settings.presets, save: (store) => saveSettings({ ...settings, presets: store }) });
    // Reset keeps presets but may change what the panel shows; keep both parts in step.
    wrapper.querySelector('#inline_images_reset')?.addEventListener('click', () => { presets.refresh(); panel.refresh(); });
}

function init() {
    const missing = missingApi();
    if (missing.length) {
        const text = t`Inline Images cannot start: this SillyTavern lacks ${missing.join(', ')}. Update SillyTavern.`;
        console.error(`[Inline Images] ${text}`);
        toast(text, 'error');
        return;
    }
    settings = readSettings();
    pipeline = new Pipeline({
        settings: () => settings,
        chatId: () => String(ctx().getCurrentChatId() ?? ''),
        draw,
        changed: refresh,
        timedOut: (seconds) => t`timed out after ${seconds} s (the per-image timeout)`,
        commit: (job, markup) => rewriteMessage(job.message, job.swipeId, (text) => {
            const result = insertImage(text, { ordinal: job.ordinal, prompt: job.prompt }, markup);
            return result.status === 'inserted' ? result.text : null;
        }),
    });
    /** @type {any} */ (globalThis).inlineImagesInterceptor = interceptor;
    registerDisplayHook();
    registerEvents();
    const manual = new ManualGeneration(pipeline, () => settings, rewrite);
    manual.install();
    manual.registerCommand();
    mountPanel().catch((error) => log.error('could not show the settings drawer', error));
    /** @type {any} */ (globalThis).inlineImages = { loaded: true, base: BASE_URL, pipeline, tracker, manual };
    log.info(`loaded from ${BASE_URL}`);
}

init();

