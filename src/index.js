// @ts-check
/**
 * Inline Images: entry point. Wires SillyTavern's events to the pipeline; the logic lives in
 * the modules (pure ones under core/).
 */
import { ctx, missingApi, toast, toastOnce, t } from './st.js';
import { loadSettings } from './settings.js';
import { log, setLogLevel } from './log.js';
import { Pipeline } from './pipeline.js';
import { GenerationTracker } from './generation.js';
import { pruneChatCompletion, pruneText } from './core/prune.js';
import { identify, locate } from './core/identity.js';
import { ChatSaver } from './chat-save.js';
import { Writer, openChatId, isBeingEdited, hasBlock, isChatLoaded, markChatLoaded } from './writer.js';
import { Deliveries, holdsTag } from './deliveries.js';
import { ReplyLifecycle } from './reply.js';
import { bindPanel } from './ui/panel.js';
import { bindPresets } from './ui/presets-panel.js';
import { injectMetaPrompt } from './core/metaprompt.js';
import { buildMetaPrompt } from './core/presets.js';
import { ManualGeneration } from './manual.js';
import { draw } from './draw.js';
import { castForPrompt, composeForCast } from './cast-store.js';
import { bindCastPanel, registerAppearanceCommand } from './ui/cast-panel.js';
import { showProgress } from './ui/progress.js';
import { registerDisplay } from './display-hook.js';
import { bindSections } from './ui/sections.js';
import { checkSetup, registerCheckCommand } from './setup-check.js';
import { PromptWriter } from './prompt-writer.js';
import { selectedPreset } from './core/presets.js';
import { WRITER_PREDEFINED } from './core/writer-prompt.js';

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
/** @type {ChatSaver} */
let saver;
/** @type {Writer} */
let writer;
/** @type {Deliveries} */
let deliveries;
/** @type {ReplyLifecycle} */
let replies;
/** @type {PromptWriter} */
let promptWriter;

function readSettings() {
    const c = ctx();
    const { settings: loaded, problems } = loadSettings(c.extensionSettings[SETTINGS_KEY]);
    if (problems.length) {
        log.warn('repaired saved settings:', problems.join('; '));
        // Shown while SillyTavern is still loading: it stays long enough to be read.
        toast(t`Some saved settings were invalid and have been repaired: ${problems.join('; ')}`, 'warning', { timeOut: 30_000, closeButton: true });
    }
    c.extensionSettings[SETTINGS_KEY] = loaded;
    if (problems.length) c.saveSettingsDebounced();
    setLogLevel(loaded.logLevel);
    applyImageWidth(loaded.imageWidth);
    return loaded;
}

function metaPromptText() {
    // The prompt writer writes them: the story model gets no instructions.
    if (settings.promptMode === 'separate') return '';
    return buildMetaPrompt(settings.presets, settings.wordInterval, castForPrompt(settings.presets));
}

/**
 * A picture failed for good (after its retries): say so once, in words that say what to do.
 * @param {import('./types').Job} _job @param {unknown} error
 */
function failed(_job, error) {
    const notice = /** @type {any} */ (error)?.notice;
    if (notice === 'no-sd') {
        toastOnce('no-sd', t`Image Generation is not available. Enable the built-in "Image Generation" extension and choose a source; the image prompts stay in the text.`, 'error');
    } else if (notice === 'draw-failed') {
        toastOnce('draw-failed', t`An image could not be generated. Check the Image Generation settings (source, URL, model); the image prompt stays in the text.`);
    }
}

/**
 * `fn` for a message at the next frame, once however often it was asked for meanwhile.
 * @param {(message: import('./types').ChatMessage) => void} fn
 */
function perFrame(fn) {
    /** @type {Set<import('./types').ChatMessage>} */
    const due = new Set();
    return (/** @type {import('./types').ChatMessage} */ message) => {
        if (due.has(message)) return;
        due.add(message);
        requestAnimationFrame(() => {
            due.delete(message);
            fn(message);
        });
    };
}

/** Refresh a message's display (and its header's count) at most once per frame. */
const refresh = perFrame((message) => {
    const c = ctx();
    const index = c.chat.indexOf(message);
    // A re-render would replace the open editor and lose what the user is typing.
    // A message not on screen (not rendered yet, or above "show more") has no block:
    // SillyTavern's updateMessageBlock would throw on it; it renders when shown.
    if (index >= 0 && !isBeingEdited(message) && hasBlock(index)) c.updateMessageBlock(index, message);
    showCount(message);
});

/** A message's "drawing n of m" count. @param {import('./types').ChatMessage} message */
function showCount(message) {
    const index = ctx().chat.indexOf(message);
    if (index >= 0) showProgress(index, message.mes ?? '', pipeline.statesFor(message));
}

/** Update the count only (a job of the message is over), once per frame. */
const progress = perFrame(showCount);

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
    replies.beforeGeneration(type);
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
        if (!dryRun) promptWriter.generationStarted(type);
        // Stay the last listener even if another extension asked for that after us.
        if (!dryRun) eventSource.makeLast(E.CHAT_COMPLETION_PROMPT_READY, onPromptReady);
    });
    const ended = () => {
        tracker.ended();
        // The text-completion meta-prompt is for the reply just made; left in place, it
        // would go into prompts built later without our interceptor (token counting).
        ctx().setExtensionPrompt?.(EXT_PROMPT_KEY, '', 1, 0, false, 0);
        replies.generationEnded();
    };
    eventSource.on(E.GENERATION_ENDED, ended);
    eventSource.on(E.GENERATION_STOPPED, ended);
    eventSource.makeLast(E.CHAT_COMPLETION_PROMPT_READY, onPromptReady);
    eventSource.on(E.STREAM_TOKEN_RECEIVED, (/** @type {string} */ text) => replies.onStreamToken(text));
    eventSource.on(E.MESSAGE_RECEIVED, (/** @type {number} */ id, /** @type {string} */ type) => replies.onMessageReceived(id, type));
    eventSource.on(E.CHAT_CHANGED, () => {
        markChatLoaded();
        const chat = ctx().chat;
        replies.chatChanged();
        const found = pipeline.chatOpened(chat, (job) => {
            const at = locate(chat, identify(job.message, job.index, job.swipeId), (m) => holdsTag(m, job.swipeId, job.prompt));
            return at >= 0 ? chat[at] : null;
        });
        for (const message of found) refresh(message);
        promptWriter.prune();
        void deliveries.deliverOpenChat();
    });
    eventSource.on(E.MESSAGE_DELETED, () => {
        pipeline.dropOrphans(ctx().chat, 'message deleted');
        promptWriter.prune();
    });
    eventSource.on(E.MESSAGE_SWIPED, () => promptWriter.prune());
}

/** @param {number} percent */
function applyImageWidth(percent) {
    document.documentElement.style.setProperty('--iig-image-width', `${percent}%`);
}

/** Rewrite a swipe of a message through the one write path. @type {import('./manual.js').Rewrite} */
const rewrite = async (message, swipeId, transform) => {
    const { status } = await writer.rewrite(message, swipeId, transform);
    return status === 'held' ? 'unchanged' : status;
};

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

/** What Check setup needs: the settings, and whether a reply is being written (it waits then). */
const checkDeps = () => ({ settings: () => settings, busy: () => tracker.current !== null || replies?.streamingTarget() != null });

/** @param {ManualGeneration} manual */
async function mountPanel(manual) {
    const c = ctx();
    const html = await c.renderExtensionTemplateAsync(EXTENSION_NAME, 'templates/settings');
    const host = document.getElementById('extensions_settings2') ?? document.getElementById('extensions_settings');
    if (!host) return log.warn('no Extensions panel to put the settings drawer in');
    const wrapper = document.createElement('div');
    wrapper.innerHTML = html;
    host.append(wrapper);
    bindSections(wrapper);
    const panel = bindPanel(wrapper, { get: () => settings, save: saveSettings });
    wrapper.querySelector('#inline_images_gallery')?.addEventListener('click', () => manual.openGallery());
    // The Connection Manager's profiles, offered for the prompt writer.
    const profiles = wrapper.querySelector('#inline_images_profiles');
    const listProfiles = () => profiles?.replaceChildren(...(ctx().extensionSettings?.connectionManager?.profiles ?? [])
        .map((/** @type {any} */ p) => new Option(String(p?.name ?? ''))));
    listProfiles();
    wrapper.querySelector('#inline_images_writerProfile')?.addEventListener('focus', listProfiles);
    const presets = bindPresets(wrapper, { get: () => settings.presets, save: (store) => saveSettings({ ...settings, presets: store }) });
    const writerPresets = bindPresets(wrapper, { get: () => settings.writerPresets, save: (store) => saveSettings({ ...settings, writerPresets: store }) },
        { prefix: 'inline_images_writer_preset', builtins: WRITER_PREDEFINED });
    wrapper.querySelector('#inline_images_check')?.addEventListener('click', () => void checkSetup(checkDeps()).catch((error) => log.error('Check setup failed', error)));
    bindCastPanel(wrapper, { presets: () => settings.presets, saveChat: () => (openChatId() ? saver.request(openChatId()) : Promise.resolve(false)) });
    // Reset keeps presets but may change what the panel shows; keep both parts in step.
    wrapper.querySelector('#inline_images_reset')?.addEventListener('click', () => { presets.refresh(); writerPresets.refresh(); panel.refresh(); });
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
    // Loaded after a chat was already shown: that chat is loaded.
    if (ctx().chat?.length) markChatLoaded();
    saver = new ChatSaver({ busy: () => tracker.current !== null || replies?.streamingTarget() != null });
    writer = new Writer(saver);
    deliveries = new Deliveries(writer);
    deliveries.load();
    pipeline = new Pipeline({
        settings: () => settings,
        chatId: openChatId,
        draw,
        compose: (prompt) => composeForCast(prompt, settings.presets),
        failed,
        changed: refresh,
        settled: progress,
        indexOf: (message) => ctx().chat.indexOf(message),
        loaded: isChatLoaded,
        timedOut: (seconds) => t`timed out after ${seconds} s (the per-image timeout)`,
        commit: (job) => deliveries.deliver({
            chatId: job.chatId, message: job.message, index: job.index, swipeId: job.swipeId,
            ordinal: job.ordinal, prompt: job.prompt, src: /** @type {string} */ (job.src),
            ...(job.replaceSrc ? { replaceSrc: job.replaceSrc } : {}),
            ...(job.sent ? { sent: job.sent.prompt } : {}),
        }),
    });
    promptWriter = new PromptWriter({
        settings: () => settings, writer, refresh,
        finished: (message) => pipeline.messageFinished(message),
        cast: () => castForPrompt(settings.presets),
        instructions: () => selectedPreset(settings.writerPresets, WRITER_PREDEFINED).text,
    });
    replies = new ReplyLifecycle({
        pipeline, tracker, refresh, writer, promptWriter,
        settings: () => settings,
        // Pictures kept while the reply streamed or its editor was open can go in now.
        ended: () => void deliveries.deliverOpenChat(),
        keepReply: () => void saver.saveNow(),
    });
    /** @type {any} */ (globalThis).inlineImagesInterceptor = interceptor;
    registerDisplay({ pipeline, replies, promptWriter });
    registerEvents();
    const manual = new ManualGeneration(pipeline, () => settings, rewrite, (message) => promptWriter.run(message));
    manual.install();
    manual.registerCommand();
    registerAppearanceCommand();
    registerCheckCommand(checkDeps());
    mountPanel(manual).catch((error) => log.error('could not show the settings drawer', error));
    /** @type {any} */ (globalThis).inlineImages = {
        loaded: true, base: BASE_URL, pipeline, tracker, manual, saver, deliveries, promptWriter,
        /** Whether nothing of ours is running: no job, retry pause, save, delivery, prompt writer or timer. */
        idle: () => pipeline.idle && saver.idle && deliveries.idle && replies.idle && promptWriter.idle,
    };
    log.info(`loaded from ${BASE_URL}`);
}

init();

