// @ts-check
/**
 * The prompt writer's request: its instructions in the picture style of the selected
 * meta-prompt preset, the reply to illustrate, a few messages before it for context, and the
 * cast block. Pure: strings in, chat messages out.
 */

/** Marks the writer's requests (the stand-in LLM of the tests answers them as a writer). */
export const WRITER_MARK = '[Image prompt writer]';

/** At most this much of the reply, and of each context message, is sent. */
export const MAX_REPLY_CHARS = 20_000;
export const MAX_CONTEXT_CHARS = 2000;

const FORMS = {
    prose: 'Each prompt is one or two vivid, concrete sentences in plain English for an image model that reads prose: the subject and how they look (age, build, hair, eyes, clothing), what they do, the setting, time of day, lighting and mood, the framing, and an art style. No tag lists, no weights, no double quotes.',
    tags: 'Each prompt is one line of 15 to 40 lowercase Danbooru-style tags separated by commas, for NovelAI Diffusion V4.5: count tags (1girl, 1boy, no humans), each character\'s appearance, action, setting, time, lighting, framing, and last the quality tags very aesthetic, masterpiece, no text. No emphasis syntax, no double quotes.',
};

/**
 * @param {object} input
 * @param {'prose' | 'tags'} input.style
 * @param {string} input.reply the text to illustrate (for a continue: only its new part)
 * @param {ReadonlyArray<{name: string, text: string}>} [input.context] earlier messages, oldest first
 * @param {string} [input.cast] castBlock's text ('' for none)
 * @param {number} input.max how many prompts at most
 * @param {number} [input.words] about one picture per this many words
 * @returns {Array<{role: 'system' | 'user', content: string}>}
 */
export function writerMessages({ style, reply, context = [], cast = '', max, words = 250 }) {
    const wordCount = (String(reply).match(/[\p{L}\p{N}]+/gu) ?? []).length;
    const wanted = Math.max(1, Math.min(max, Math.round(wordCount / Math.max(50, words)) || 1));
    const system = [
        WRITER_MARK,
        `You illustrate a story. Read the passage below and choose up to ${wanted} moments worth a picture (at most ${max}), in story order: scene changes and striking visual moments.`,
        'For each, give a short exact quote of the passage (a few words from the sentence the picture belongs after) and an image prompt for it.',
        FORMS[style] ?? FORMS.prose,
        'The image model has not read the story: every prompt stands alone and describes only what can be seen.',
        cast,
        'Answer with JSON only, in exactly this form: {"images": [{"quote": "words from the passage", "prompt": "the image prompt"}]}',
    ].filter(Boolean).join('\n\n');
    const before = context.filter((m) => m && String(m.text ?? '').trim())
        .map((m) => `${String(m.name ?? '').slice(0, 80)}: ${String(m.text).slice(0, MAX_CONTEXT_CHARS)}`).join('\n\n');
    const user = `${before ? `Earlier in the story:\n${before}\n\n` : ''}The passage to illustrate:\n${String(reply).slice(0, MAX_REPLY_CHARS)}`;
    return [{ role: 'system', content: system }, { role: 'user', content: user }];
}
