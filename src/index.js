// @ts-check
/**
 * Inline Images: the switchboard. It builds the objects and connects SillyTavern's events to
 * them, one line each. The story of a picture is in the folders: format/ (tags, our pictures
 * in the text, what the reader sees, pruning), prompts/ (what the models are told), picture/
 * (jobs, the queue, `/sd`, pictures kept for closed chats), chat/ (replies, the one write
 * path, saves, the display hook), features/ and ui/.
 */
import { ctx, missingApi, toast, toastOnce, t, tk } from './st.js';
import { loadSettings } from './settings.js';
import { log, setLogLevel } from './log.js';
import { Jobs } from './picture/jobs.js';
import { KeptPictures } from './picture/kept.js';
import { FailedPictures } from './picture/failed.js';
import { draw } from './picture/sd.js';
import { shapeSize } from './picture/size.js';
import { budget } from './picture/budget.js';
import { GenerationTracker } from './chat/generation.js';
import { ChatSaver } from './chat/save.js';
import { WritePath } from './chat/write-path.js';
import { openChatId, isChatLoaded, markChatLoaded } from './chat/open-chat.js';
import { Streams } from './chat/streams.js';
import { ReplyLifecycle } from './chat/reply.js';
import { PromptHooks } from './chat/prompt-hooks.js';
import { createRefresh } from './chat/refresh.js';
import { registerDisplay } from './chat/display-hook.js';
import { ManualGeneration } from './features/manual.js';
import { PictureActions } from './features/picture-actions.js';
import { PromptWriter } from './features/prompt-writer.js';
import { registerCommands } from './features/commands.js';
import { checkSetup } from './features/setup-check.js';
import { castForPrompt, composeForCast } from './features/looks.js';
import { watchLorebook } from './features/lorebook.js';
import { selectedPreset } from './prompts/presets.js';
import { WRITER_PREDEFINED } from './prompts/prompt-writer-request.js';
import { mountDrawer } from './ui/drawer.js';
import { addWandItem } from './ui/gallery.js';
import { exportWithDialog } from './features/export.js';

const SETTINGS_KEY = 'inlineImages';
const BASE_URL = new URL('..', import.meta.url).pathname;
/** 'third-party/<folder>' whatever the clone's folder is called. */
const EXTENSION_NAME = BASE_URL.replace(/^.*\/scripts\/extensions\//, '').replace(/\/$/, '');

/** @type {import('./types').Settings} */
let settings;
const getSettings = () => settings;

/** Read the saved settings, repairing what is broken (and saying so once). */
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
    applySettings(loaded);
    return loaded;
}

/** What follows the settings outside the objects that read them live. @param {import('./types').Settings} s */
function applySettings(s) {
    setLogLevel(s.logLevel);
    document.documentElement.style.setProperty('--iig-image-width', `${s.imageWidth}%`);
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

/** Build every object, in the order they need each other. */
function build() {
    const tracker = new GenerationTracker();
    /** @type {Streams} */
    let streams;
    const busy = () => tracker.current !== null || streams?.target() != null;
    const saver = new ChatSaver({ busy });
    const writePath = new WritePath(saver);
    const kept = new KeptPictures(writePath);
    kept.load();
    const failedPictures = new FailedPictures();
    failedPictures.load();
    /** @type {ReturnType<typeof createRefresh>} */
    let shown;
    const jobs = new Jobs({
        settings: getSettings, chatId: openChatId, draw,
        failed: (job, error) => {
            failed(job, error);
            failedPictures.remember(job);
        },
        forgetFailed: (job) => failedPictures.forget(job),
        budget, held: (job) => failedPictures.remember(job),
        compose: (prompt, shape) => {
            const sent = composeForCast(prompt, settings.presets, settings.presetNegatives);
            const sd = ctx().extensionSettings?.sd;
            const size = getSettings().modelShapes ? shapeSize(shape, sd?.width, sd?.height) : null;
            return size ? { ...sent, ...size } : sent;
        },
        deliver: (job) => kept.deliver(job),
        changed: (message) => shown.refresh(message),
        settled: (message) => shown.progress(message),
        moving: (message) => streams.has(message),
        indexOf: (message) => ctx().chat.indexOf(message),
        loaded: isChatLoaded,
        timedOut: (seconds) => t`timed out after ${seconds} s (the per-image timeout)`,
    });
    shown = createRefresh((message) => jobs.statesFor(message));
    streams = new Streams({ jobs, settings: getSettings });
    const promptWriter = new PromptWriter({
        settings: getSettings, writePath, refresh: shown.refresh,
        finished: (message) => jobs.drawMessage(message),
        cast: () => castForPrompt(settings.presets),
        instructions: () => selectedPreset(settings.writerPresets, WRITER_PREDEFINED).text,
    });
    const replies = new ReplyLifecycle({
        streams, tracker, writePath, promptWriter, settings: getSettings, refresh: shown.refresh,
        // Pictures kept while the reply streamed or its editor was open can go in now.
        ended: () => void kept.deliverOpenChat(),
        keepReply: () => void saver.saveNow(),
    });
    const prompts = new PromptHooks({ settings: getSettings, tracker, beforeGeneration: (type) => replies.beforeGeneration(type) });
    const pictures = new PictureActions(jobs, writePath, streams, () => void exportWithDialog());
    const manual = new ManualGeneration({ jobs, writePath, streams, pictures, settings: getSettings, writePrompts: (message) => promptWriter.run(message) });
    return { tracker, saver, writePath, kept, failedPictures, jobs, shown, streams, promptWriter, replies, prompts, pictures, manual, busy };
}

/** @param {ReturnType<typeof build>} app */
function registerEvents({ jobs, kept, failedPictures, shown, streams, promptWriter, replies, prompts }) {
    const { eventSource, eventTypes: E } = ctx();
    const on = (/** @type {string} */ name, /** @type {(...args: any[]) => void} */ fn) => eventSource.on(E[name], fn);
    on('GENERATION_STARTED', (type, _options, dryRun) => { prompts.generationStarted(type, dryRun); if (!dryRun) promptWriter.generationStarted(type); });
    on('GENERATION_ENDED', () => { prompts.generationEnded(); replies.generationEnded(); });
    on('GENERATION_STOPPED', () => { prompts.generationEnded(); replies.generationEnded(); });
    eventSource.makeLast(E.CHAT_COMPLETION_PROMPT_READY, prompts.promptReady);
    on('STREAM_TOKEN_RECEIVED', (text) => streams.onToken(text));
    on('MESSAGE_RECEIVED', (id, type) => replies.onMessageReceived(id, type));
    on('CHAT_CHANGED', () => {
        markChatLoaded();
        replies.chatChanged();
        // SillyTavern rendered the chat before it said so: show the boxes of jobs found again.
        for (const message of jobs.chatOpened(ctx().chat)) shown.refresh(message);
        for (const message of failedPictures.restore(jobs)) shown.refresh(message);
        promptWriter.prune();
        void kept.deliverOpenChat();
    });
    on('MESSAGE_DELETED', () => { jobs.dropOrphans(ctx().chat, 'message deleted'); promptWriter.prune(); });
    on('MESSAGE_SWIPED', () => promptWriter.prune());
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
    const app = build();
    const { jobs, saver, kept, replies, promptWriter, streams, manual, pictures, busy } = app;
    /** @type {any} */ (globalThis).inlineImagesInterceptor = app.prompts.interceptor;
    registerDisplay({ jobs, streams, replies, promptWriter });
    registerEvents(app);
    watchLorebook(() => settings.looksLorebook);
    // Loaded after the chat was shown: its failed pictures from before a reload show now.
    for (const message of app.failedPictures.restore(jobs)) app.shown.refresh(message);
    manual.install();
    addWandItem({ id: 'iig_gallery_wand', icon: 'fa-images', key: 'iig_gallery_menu', label: tk('iig_gallery_menu', 'Inline Images gallery') }, () => pictures.openGallery());
    addWandItem({ id: 'iig_export_wand', icon: 'fa-file-export', key: 'iig_export_menu', label: tk('iig_export_menu', 'Export illustrated story') }, () => void exportWithDialog());
    const check = { settings: getSettings, busy };
    registerCommands({ manual, pictures, settings: getSettings, check });
    const save = (/** @type {import('./types').Settings} */ next) => {
        settings = next;
        const c = ctx();
        c.extensionSettings[SETTINGS_KEY] = { ...next, version: c.extensionSettings[SETTINGS_KEY]?.version };
        c.saveSettingsDebounced();
        applySettings(next);
        jobs.applySettings();
    };
    mountDrawer({
        extension: EXTENSION_NAME, settings: getSettings, save,
        gallery: () => void pictures.openGallery(), budget,
        check: () => void checkSetup(check).catch((error) => log.error('Check setup failed', error)),
        saveChat: () => (openChatId() ? saver.request(openChatId()) : Promise.resolve(false)),
    }).catch((error) => log.error('could not show the settings drawer', error));
    /** @type {any} */ (globalThis).inlineImages = {
        loaded: true, base: BASE_URL, jobs, streams, kept, saver, manual, promptWriter,
        /** Whether nothing of ours is running: no job, retry pause, save, kept picture being written, prompt writer,
         * timer or counting ahead. */
        idle: () => jobs.idle && saver.idle && kept.idle && replies.idle && promptWriter.idle && app.prompts.warmer.idle,
    };
    log.info(`loaded from ${BASE_URL}`);
}

init();
