// @ts-check
/**
 * The instruction that makes the chat model write image prompts, and where it goes in a
 * chat-completion prompt. It must be the last message: models follow the latest system
 * instruction best, and other extensions append to the prompt after we do. Pure: strings and a
 * plain message array; no SillyTavern, no DOM.
 */

/** How often and in what form to write a tag; every built-in preset words it the same. */
export const PLACEMENT = 'While you write, illustrate the story. About every {{words}} words, and at each scene change or striking visual moment, put an image prompt on its own line between paragraphs, in exactly this form:';
/** How to give a picture its shape; `{{shapes}}` in a preset stands for it (gone when the user turned shapes off). */
export const SHAPE_RULE = 'When a picture needs a shape, add it after the prompt: shape="portrait" for a single character, shape="landscape" for a scene, a group or a journey, shape="square" for one object or a face, like this: <img-prompt="..." shape="landscape">';

/** The end of every built-in preset: the story must read as if the tags were not there. */
export const CLOSING = 'Never explain, mention or refer to these image prompts, and never put them in code blocks. After each one, simply keep writing the story as you normally would; it must read well without them.';

/**
 * The shipped instruction. The image model has read none of the story, so the rules push for
 * prompts that stand alone and describe only what can be seen; the quote rule matches the
 * tag grammar, which a stray `"` would end early.
 */
export const DEFAULT_META_PROMPT = `[Illustrations]
${PLACEMENT}
<img-prompt="the picture, described for an image generator">
{{shapes}}

Rules for the prompt:
- The image generator has not read the story. Describe only what can be seen: who or what is in the picture and how they look (age, build, hair, clothing), what they are doing and their expression, the setting, time of day, lighting, mood, framing and art style.
- Make it self-contained: never rely on a name alone. Write 'a tall woman with short silver hair in a green travelling cloak', not just her name, and repeat the same key details each time a character appears so the pictures stay consistent.
- One line of about 20 to 60 words, as comma-separated phrases. No double quotes inside it; use single quotes if you need any.
- Show the current moment of the story, not a summary of it.

{{cast}}

${CLOSING}`;

/**
 * Fill `{{words}}` and `{{shapes}}` (spaces inside the braces allowed, as people type them in
 * custom prompts); without shapes, the `{{shapes}}` line goes. Other `{{...}}` are left for
 * SillyTavern's own macros.
 * @param {string} template
 * @param {{words: number, shapes?: boolean}} values shapes: the model may choose a picture's shape
 * @returns {string}
 */
export function fillPlaceholders(template, { words, shapes = true }) {
    return String(template).replace(/\{\{\s*words\s*\}\}/gi, () => String(words))
        .replace(/\n?[ \t]*\{\{\s*shapes\s*\}\}[ \t]*/gi, () => (shapes ? `\n${SHAPE_RULE}` : ''));
}

/**
 * @typedef {{role: 'system', content: string}} MetaMessage
 */

/**
 * Append the meta-prompt as a system message (the caller is the event's last listener, so
 * it stays last).
 * @param {Array<any>} messages
 * @param {string} text
 * @returns {MetaMessage | null} null (nothing added) when the text is blank
 */
export function injectMetaPrompt(messages, text) {
    if (typeof text !== 'string' || !text.trim()) return null;
    /** @type {MetaMessage} */
    const message = { role: 'system', content: text };
    messages.push(message);
    return message;
}
