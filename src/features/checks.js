// @ts-check
/**
 * What Check setup concludes from what it saw. Pure (no SillyTavern, no DOM): plain facts in, a
 * status and a code (with values) out; the shell turns codes into sentences in the user's
 * language.
 */
import { parseTags } from '../format/tags.js';
import { countWords } from '../format/text.js';

/** @typedef {'ok' | 'warn' | 'fail' | 'info'} Status */
/** @typedef {{status: Status, code: string, values?: Record<string, string | number>}} Finding */

/** Image Generation sources that need a server URL, and the setting that holds it. */
const URL_SETTING = Object.freeze({ auto: 'auto_url', vlad: 'vlad_url', sdcpp: 'sdcpp_url', drawthings: 'drawthings_url', comfy: 'comfy_url' });

/**
 * @param {{disabled: boolean, loaded: boolean, source: string, settings: Record<string, unknown> | undefined}} facts
 *   disabled: listed in SillyTavern's disabled extensions; loaded: its /sd command exists
 * @returns {Finding}
 */
export function imageGenerationFinding({ disabled, loaded, source, settings }) {
    if (disabled) return { status: 'fail', code: 'sd-disabled' };
    if (!loaded) return { status: 'fail', code: 'sd-missing' };
    if (!source) return { status: 'fail', code: 'sd-no-source' };
    const key = /** @type {Record<string, string>} */ (URL_SETTING)[source];
    // ComfyUI through RunPod has no URL of this kind; the test picture tells then.
    const comfyElsewhere = source === 'comfy' && settings?.comfy_type && settings.comfy_type !== 'standard';
    if (key && !comfyElsewhere && !String(settings?.[key] ?? '').trim()) return { status: 'fail', code: 'sd-no-url', values: { source } };
    return { status: 'ok', code: 'sd-ok', values: { source } };
}

/**
 * @param {{enabled: boolean, api: string, presetName: string, presetText: string}} facts
 * @returns {Finding}
 */
export function instructionsFinding({ enabled, api, presetName, presetText }) {
    if (!enabled) return { status: 'fail', code: 'instructions-off' };
    if (!parseTags(presetText).length) return { status: 'warn', code: 'instructions-no-example', values: { preset: presetName } };
    return { status: 'ok', code: api === 'openai' ? 'instructions-chat' : 'instructions-text', values: { preset: presetName, api } };
}

/**
 * Whether the model writes image prompts: the last `count` replies of at least `minWords`
 * words (tags and markup not counted; user and system messages skipped).
 * @param {ReadonlyArray<{mes?: unknown, is_user?: boolean, is_system?: boolean}>} chat
 * @param {{count?: number, minWords?: number}} [options]
 * @returns {Finding}
 */
export function recentRepliesFinding(chat, { count = 3, minWords = 150 } = {}) {
    /** @type {number[]} */
    const tagged = [];
    for (let i = chat.length - 1; i >= 0 && tagged.length < count; i--) {
        const message = chat[i];
        if (!message || message.is_user || message.is_system || typeof message.mes !== 'string') continue;
        const tags = parseTags(message.mes).length;
        const prose = message.mes.replace(/<[^>]*>/g, ' ');
        if (countWords(prose) < minWords) continue;
        tagged.push(tags);
    }
    if (tagged.length < count) return { status: 'info', code: 'replies-too-few', values: { count, words: minWords, seen: tagged.length } };
    const withTags = tagged.filter((n) => n > 0).length;
    if (withTags === 0) return { status: 'warn', code: 'replies-no-tags', values: { count, words: minWords } };
    return { status: 'ok', code: 'replies-ok', values: { with: withTags, count } };
}

/** A reply as the model writes it, and as it is once illustrated: what other scripts must leave alone. */
const SAMPLE_TAG = '<img-prompt="a red fox in the snow">';
const SAMPLE_IMAGE = '<img data-iig="1" src="/user/images/check.png" title="a red fox in the snow" alt="a red fox in the snow">';
export const SAMPLE_REPLY = `The fox stopped at the edge of the wood.\n${SAMPLE_TAG}${SAMPLE_IMAGE}\nIt looked back once.`;

/**
 * What a regex script (or the display) did to SAMPLE_REPLY.
 * @param {string} after
 * @returns {{tag: boolean, image: boolean}} whether the tag and the image are still there
 */
export function survives(after) {
    const text = String(after ?? '');
    return {
        tag: parseTags(text).some((t) => t.prompt === 'a red fox in the snow'),
        image: /<img\b[^>]*\bsrc="\/user\/images\/check\.png"/i.test(text),
    };
}

/**
 * @param {Array<{name: string, tag: boolean, image: boolean}>} scripts what each regex script for AI output left of the sample
 * @param {{image: boolean} | null} display what the message display left of the picture (null: not checked)
 * @returns {Finding}
 */
export function conflictsFinding(scripts, display) {
    const harmful = scripts.filter((s) => !s.tag || !s.image);
    if (harmful.length) {
        return { status: 'warn', code: 'conflict-regex', values: { names: harmful.map((s) => s.name || '?').join(', ') } };
    }
    if (display && !display.image) return { status: 'warn', code: 'conflict-display' };
    return { status: 'ok', code: 'conflicts-none' };
}
