// @ts-check
/**
 * The prompt writer's request: its instructions in the picture style of the selected
 * meta-prompt preset, the reply to illustrate, a few messages before it for context, and the
 * cast block. Pure: strings in, chat messages out; no SillyTavern, no DOM.
 */
import { countWords } from '../format/text.js';

/** Marks the writer's requests (the stand-in LLM of the tests answers them as a writer). */
export const WRITER_MARK = '[Image prompt writer]';

/** At most this much of the reply, and of each context message, is sent. */
const MAX_REPLY_CHARS = 20_000;
const MAX_CONTEXT_CHARS = 2000;

const INTRO = 'You illustrate a story. Read the passage below and choose up to {{wanted}} moments worth a picture (at most {{max}}), in story order: scene changes and striking visual moments. For each, give a short exact quote of the passage (a few words from the sentence the picture belongs after) and an image prompt for it.';
const STANDALONE = 'The image model has not read the story: every prompt stands alone and describes only what can be seen.';
const ANSWER_FORM = 'Answer with JSON only, in exactly this form: {"images": [{"quote": "words from the passage", "prompt": "the image prompt", "shape": "portrait"}]}';
const SHAPE = 'The shape is the picture\'s orientation: portrait for a single character, landscape for a scene, a group or a journey, square for one object or a face.';

const builtIn = (/** @type {string} */ form) => `${WRITER_MARK}\n\n${INTRO}\n\n${form}\n\n${STANDALONE}\n\n{{cast}}\n\n${ANSWER_FORM}\n${SHAPE}`;

/** The prompt writer's built-in instructions, one for each picture style of the meta-prompt presets.
 * `{{wanted}}`, `{{max}}` and `{{cast}}` are filled in by writerMessages.
 * @type {import('./presets.js').Builtins} */
export const WRITER_PREDEFINED = Object.freeze([
    Object.freeze({ name: 'Default', descriptionKey: 'iig_writer_desc_default', description: 'Short descriptions of what can be seen, for any image model.',
        text: builtIn('Each prompt is one line of about 20 to 60 words, as comma-separated phrases: who or what is in the picture and how they look (age, build, hair, clothing), what they are doing, the setting, time of day, lighting, mood, framing and art style. No double quotes.') }),
    Object.freeze({ name: 'NAI 4.5 Full', descriptionKey: 'iig_writer_desc_nai', description: 'Danbooru-style tags for NovelAI Diffusion V4.5 (Full).',
        text: builtIn("Each prompt is one line of 15 to 40 lowercase Danbooru-style tags separated by commas, for NovelAI Diffusion V4.5: count tags (1girl, 1boy, no humans), each character's appearance, action, setting, time, lighting, framing, and last the quality tags very aesthetic, masterpiece, no text. No emphasis syntax, no double quotes.") }),
    Object.freeze({ name: 'Natural language (FLUX, SDXL, DALL-E)', descriptionKey: 'iig_writer_desc_natural', description: 'One or two descriptive sentences for models that read prose.',
        text: builtIn('Each prompt is one or two vivid, concrete sentences in plain English for an image model that reads prose: the subject and how they look (age, build, hair, eyes, clothing), what they do, the setting, time of day, lighting and mood, the framing, and an art style. No tag lists, no weights, no double quotes.') }),
]);

/**
 * @param {object} input
 * @param {string} input.instructions the writer preset's text
 * @param {string} input.reply the text to illustrate (for a continue: only its new part)
 * @param {ReadonlyArray<{name: string, text: string}>} [input.context] earlier messages, oldest first
 * @param {string} [input.cast] castBlock's text ('' for none)
 * @param {number} input.max how many prompts at most
 * @param {number} [input.words] about one picture per this many words
 * @returns {Array<{role: 'system' | 'user', content: string}>}
 */
export function writerMessages({ instructions, reply, context = [], cast = '', max, words = 250 }) {
    const wanted = Math.max(1, Math.min(max, Math.round(countWords(String(reply)) / Math.max(50, words)) || 1));
    let system = String(instructions)
        .replace(/\{\{\s*wanted\s*\}\}/gi, String(wanted)).replace(/\{\{\s*max\s*\}\}/gi, String(max))
        .replace(/\n*[ \t]*\{\{\s*cast\s*\}\}[ \t]*\n*/gi, cast ? `\n\n${cast}\n\n` : '\n\n').trim();
    // The mark lets a stand-in (and a log reader) tell writer requests apart; the form is
    // what the reader expects, whatever a custom preset says.
    if (!system.includes(WRITER_MARK)) system = `${WRITER_MARK}\n\n${system}`;
    if (!system.includes('{"images"')) system = `${system}\n\n${ANSWER_FORM}`;
    const before = context.filter((m) => m && String(m.text ?? '').trim())
        .map((m) => `${String(m.name ?? '').slice(0, 80)}: ${String(m.text).slice(0, MAX_CONTEXT_CHARS)}`).join('\n\n');
    const user = `${before ? `Earlier in the story:\n${before}\n\n` : ''}The passage to illustrate:\n${String(reply).slice(0, MAX_REPLY_CHARS)}`;
    return [{ role: 'system', content: system }, { role: 'user', content: user }];
}
