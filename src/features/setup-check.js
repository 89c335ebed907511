// @ts-check
/**
 * Check setup: the drawer's button and `/iig-check`. It looks at what makes "the tags appear
 * but no picture" and "the model writes no prompts", draws one test picture, and says what it
 * found in plain words. It changes nothing of the user's: no chat text, no setting (the test
 * picture is saved by Image Generation in the user's images folder, as every picture is).
 * While a reply is being written it says that it waits, and waits.
 */
import { ctx, sdCommand, t, tk, toast } from '../st.js';
import { errorText, log } from '../log.js';
import { untilAborted } from '../abort.js';
import { draw } from '../picture/sd.js';
import { escapeAttr } from '../format/html.js';
import { selectedPreset } from '../prompts/presets.js';
import {
    SAMPLE_REPLY, conflictsFinding, imageGenerationFinding, instructionsFinding, recentRepliesFinding, survives,
} from './checks.js';

/** @typedef {import('./checks.js').Finding} Finding */
/** @typedef {{id: string, title: string, finding: Finding, text: string, image?: string}} Result */

// src/features/ -> src/ -> extension folder -> third-party -> extensions -> regex/engine.js
const REGEX_URL = new URL('../../../../regex/engine.js', import.meta.url).href;
const TEST_PROMPT = 'a small red apple on a wooden table, soft daylight, simple still life';

/** The sentence for a finding, in the user's language. @param {Finding} f */
function say(f) {
    const v = f.values ?? {};
    switch (f.code) {
        case 'sd-disabled': return t`The Image Generation extension is turned off. Turn it on in Extensions › Manage extensions, then reload the page.`;
        case 'sd-missing': return t`The Image Generation extension is not loaded (its /sd command is missing). Turn it on in Extensions › Manage extensions and reload.`;
        case 'sd-no-source': return t`Image Generation has no source chosen. Choose one in its settings (Extensions › Image Generation).`;
        case 'sd-no-url': return t`Image Generation's source is ${v.source}, but its server URL is empty. Enter the URL and press Connect in Image Generation's settings.`;
        case 'sd-ok': return t`Image Generation is on; its source is ${v.source}.`;
        case 'picture-ok': return t`A test picture was drawn in ${v.seconds} s.`;
        case 'picture-failed': return t`The test picture failed: ${v.reason}. Check Image Generation's settings (source, URL, model) and that its server is running.`;
        case 'picture-skipped': return t`No test picture: Image Generation is not ready (see above).`;
        case 'instructions-off': return t`Inline Images is turned off, so replies get no instructions to write image prompts. Turn on "Enabled" above.`;
        case 'instructions-no-example': return t`The preset "${v.preset}" has no <img-prompt="..."> example, so the model may not write the tags the extension looks for.`;
        case 'instructions-chat': return t`The next reply gets the instructions of the preset "${v.preset}", as the last system message (chat completion).`;
        case 'instructions-text': return t`The next reply gets the instructions of the preset "${v.preset}", just before the reply in the prompt (text completion, ${v.api}).`;
        case 'replies-too-few': return t`Not enough replies yet to tell whether the model writes image prompts (${v.seen} of ${v.count} replies of ${v.words} words or more).`;
        case 'replies-no-tags': return t`The last ${v.count} replies of ${v.words} words or more had no image prompts: the model seems to ignore the instructions. Try another preset (such as Natural language), a larger "Images about every N words", or a model that follows system instructions.`;
        case 'replies-ok': return t`${v.with} of the last ${v.count} long replies had image prompts.`;
        case 'conflict-regex': return t`These regex scripts change image prompts or pictures in replies: ${v.names}. Turn them off or make them skip <img-prompt> tags and <img> pictures.`;
        case 'conflict-display': return t`Something removes pictures when messages are shown (another extension or a display regex script).`;
        case 'conflicts-none': return t`No regex script or display step removes image prompts or pictures.`;
        default: return f.code;
    }
}

/** @param {() => boolean} busy */
async function waitWhile(busy) {
    if (!busy()) return;
    toast(t`Check setup waits for the reply being written to finish…`, 'info');
    while (busy()) await new Promise((resolve) => setTimeout(resolve, 250));
}

/** @returns {Promise<Array<{name: string, tag: boolean, image: boolean}>>} */
async function regexScripts() {
    try {
        const engine = await import(/* webpackIgnore: true */ REGEX_URL);
        if (ctx().extensionSettings?.disabledExtensions?.includes('regex')) return [];
        const scripts = typeof engine.getRegexScripts === 'function' ? engine.getRegexScripts({ allowedOnly: true }) : [];
        const AI_OUTPUT = engine.regex_placement?.AI_OUTPUT ?? 2;
        return scripts
            .filter((/** @type {any} */ s) => !s?.disabled && Array.isArray(s?.placement) && s.placement.includes(AI_OUTPUT))
            .map((/** @type {any} */ s) => ({ name: String(s.scriptName ?? ''), ...survives(engine.runRegexScript(s, SAMPLE_REPLY)) }));
    } catch (error) {
        log.warn('could not read the regex scripts', error);
        return [];
    }
}

/**
 * Draw one test picture, as a reply's picture is drawn (same source, same timeout).
 * @param {number} timeoutSeconds
 * @returns {Promise<[Finding, string]>} the finding and the picture's URL ('' when it failed)
 */
async function testPicture(timeoutSeconds) {
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(t`timed out after ${timeoutSeconds} s (the per-image timeout)`)), timeoutSeconds * 1000);
    try {
        const src = await untilAborted(draw({ prompt: TEST_PROMPT, seed: null }, controller.signal), controller.signal);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        return [{ status: 'ok', code: 'picture-ok', values: { seconds } }, String(src)];
    } catch (error) {
        return [{ status: 'fail', code: 'picture-failed', values: { reason: errorText(error) } }, ''];
    } finally {
        clearTimeout(timer);
    }
}

/**
 * Run every check.
 * @param {{settings: () => import('../types').Settings, busy: () => boolean}} deps
 * @returns {Promise<Result[]>}
 */
async function runChecks(deps) {
    await waitWhile(deps.busy);
    const c = ctx();
    const settings = deps.settings();
    /** @type {Result[]} */
    const results = [];
    const add = (/** @type {string} */ id, /** @type {string} */ title, /** @type {Finding} */ finding, /** @type {string} */ image = '') => {
        results.push({ id, title, finding, text: say(finding), ...(image ? { image } : {}) });
    };

    const sd = c.extensionSettings?.sd;
    const gen = imageGenerationFinding({
        disabled: Boolean(c.extensionSettings?.disabledExtensions?.includes('stable-diffusion')),
        loaded: Boolean(sdCommand()), source: String(sd?.source ?? ''), settings: sd,
    });
    add('image-generation', tk('iig_check_sd', 'Image Generation'), gen);

    const pictureTitle = tk('iig_check_picture', 'Test picture');
    if (gen.status === 'fail') add('test-picture', pictureTitle, { status: 'info', code: 'picture-skipped' });
    else add('test-picture', pictureTitle, ...await testPicture(settings.timeoutSeconds));

    const preset = selectedPreset(settings.presets);
    add('instructions', tk('iig_check_instructions', 'Instructions'),
        instructionsFinding({ enabled: settings.enabled, api: String(c.mainApi ?? ''), presetName: preset.name, presetText: preset.text }));
    add('recent-replies', tk('iig_check_replies', 'Recent replies'), recentRepliesFinding(Array.isArray(c.chat) ? c.chat : []));

    let display = null;
    try {
        if (typeof c.messageFormatting === 'function') display = survives(c.messageFormatting(SAMPLE_REPLY, 'Check', false, false, undefined));
    } catch (error) {
        log.warn('could not try the message display', error);
    }
    add('conflicts', tk('iig_check_conflicts', 'Other extensions and scripts'), conflictsFinding(await regexScripts(), display));
    return results;
}

const ICON = { ok: '✓', warn: '⚠', fail: '✗', info: 'ℹ' };

/** @param {Result[]} results */
function resultsHtml(results) {
    const items = results.map((r) => `<li class="iig-check" data-iig-check="${escapeAttr(r.id)}" data-iig-status="${r.finding.status}">`
        + `<span class="iig-check-icon">${ICON[r.finding.status]}</span> <b>${escapeAttr(r.title)}</b>: <span class="iig-check-text">${escapeAttr(r.text)}</span>`
        + (r.image ? `<br><img class="iig-check-image" src="${escapeAttr(r.image)}" alt="${escapeAttr(TEST_PROMPT)}">` : '')
        + '</li>').join('');
    return `<h3>${escapeAttr(tk('iig_check_setup', 'Check setup'))}</h3><ul class="iig-checks">${items}</ul>`;
}

/** @param {Result[]} results */
export function resultsText(results) {
    return results.map((r) => `${ICON[r.finding.status]} ${r.title}: ${r.text}`).join('\n');
}

/**
 * Run the checks and show them in a popup.
 * @param {{settings: () => import('../types').Settings, busy: () => boolean}} deps
 */
export async function checkSetup(deps) {
    const results = await runChecks(deps);
    const c = ctx();
    if (typeof c.callGenericPopup === 'function') void c.callGenericPopup(resultsHtml(results), c.POPUP_TYPE.TEXT, '', { wide: true, allowVerticalScrolling: true });
    return results;
}
