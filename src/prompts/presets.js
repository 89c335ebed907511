// @ts-check
/**
 * Meta-prompt presets: the built-in ones, the user's own, and which one is in use; the prompt
 * writer's presets use the same functions with their own built-ins. Pure (no SillyTavern, no
 * DOM), so stored settings can be repaired and edited without touching the page; every
 * operation returns a new store and leaves its input alone.
 */
import { CLOSING, DEFAULT_META_PROMPT, PLACEMENT, fillPlaceholders } from './metaprompt.js';
import { fillCast } from './cast.js';

/** @typedef {{selected: string, custom: Record<string, string>}} PresetStore */
/** @typedef {{name: string, text: string, readOnly: boolean, description?: string, descriptionKey?: string}} PresetEntry */

export const MAX_NAME_CHARS = 80;
export const MAX_TEXT_CHARS = 20000;
const DEFAULT_PRESET = 'Default';

// SillyTavern sends NovelAI requests with NAI's own "Add Quality Tags" toggle off
// (qualityToggle: false) and the whole prompt as the base caption, with no character
// prompts. So the model writes what NovelAI's site would add for V4.5, its quality tags at
// the end, and keeps each character's tags together in the one list.
const NAI_TEXT = `[Illustrations for NovelAI Diffusion V4.5]
${PLACEMENT}
<img-prompt="comma-separated tags for the picture">
{{shapes}}

The pictures are drawn by NovelAI Diffusion V4.5, which reads Danbooru-style tags: lowercase English, spaces instead of underscores, separated by commas. Put them in this order:
1. Who is in it, as count tags: 1girl, 1boy, 2girls, 3boys, or 1girl, 1boy for a mixed pair; add solo for a single person, or use no humans for places, objects and animals alone.
2. Each character: hair colour, length and style, eye colour, build, clothing, expression, pose and action.
3. Setting and background, time of day, weather.
4. Lighting and mood: sunlight, backlighting, candlelight, night, rain, fog.
5. Composition and camera: close-up, portrait, upper body, cowboy shot, full body, wide shot, from above, from below, from side, from behind.
6. Style, only when the scene calls for one: watercolor (medium), monochrome, sketch.
7. Last, always, V4.5's quality tags exactly as written here: very aesthetic, masterpiece, no text
V4.5 also understands short plain-English phrases, so an action no tag covers can be a brief phrase, such as holding a lantern up to a dark doorway.

Two or more characters: write the shared scene first (count tags, setting, lighting, camera), then each character's tags as one group after the other, each group starting with girl or boy, so every trait stays next to its character. Everything stays one comma-separated list: the picture is sent as a single prompt, so a separator such as | would only confuse the model:
<img-prompt="1girl, 1boy, tavern interior, night, candlelight, cowboy shot, girl, long red hair, green eyes, leather armor, smiling, raising a mug, boy, short black hair, scar on cheek, grey cloak, sitting, arms crossed, very aesthetic, masterpiece, no text">
For an action between them, tag the one doing it with source# and the one receiving it with target#, such as source#hug and target#hug.

Rules:
- The image model has not read the story and does not know its characters. Describe them by what can be seen, and reuse the same appearance tags every time that character appears so the pictures stay consistent. Never use a character's name, except for the characters listed below, whose names you write as the list says.
- No other quality or score tags (best quality, absurdres, score_9) and no negative tags: the quality tags of step 7 are the ones V4.5 was trained with, and the user's image settings handle the rest.
- No emphasis syntax (braces, brackets, numbers with ::). No double quotes inside the prompt.
- About 15 to 40 tags. Show the current moment of the story, not a summary of it.

{{cast}}

${CLOSING}`;

const NATURAL_TEXT = `[Illustrations]
${PLACEMENT}
<img-prompt="one or two sentences describing the picture">
{{shapes}}

The pictures are drawn by an image model that reads plain descriptive English. Write each prompt as one or two vivid, concrete sentences covering:
- the subject: who or what is in the picture and how they look (age, build, hair, eyes, clothing);
- what they are doing, their pose and expression;
- the setting, time of day and weather;
- the lighting and mood;
- the framing and camera: close-up, waist-up, wide shot, low angle, over the shoulder;
- the art style or medium: digital painting, watercolor illustration, cinematic photograph, ink sketch.

Rules:
- The image model has not read the story and does not know its characters. Never rely on a name alone: write 'a tall woman in her thirties with short silver hair and a green travelling cloak', and repeat the same key details each time she appears so the pictures stay consistent.
- Describe only what can be seen. Feelings, backstory and sounds cannot be drawn; show them through expression, posture and light.
- Prose only: no tag lists, no keyword strings, no weights or brackets such as (word:1.2), no negative prompts. No double quotes inside it; use single quotes if you need any.
- Make each prompt self-contained and show the current moment of the story, not a summary of it.

{{cast}}

${CLOSING}`;

/**
 * A kind of presets is its list of built-ins: the meta-prompt's (PREDEFINED, the default
 * everywhere below) or the prompt writer's (prompt-writer-request.js). Each function takes it
 * last. `descriptionKey` is the description's i18n key (the drawer shows it translated).
 * `negative` is a built-in's default negative prompt for its model family (none: '').
 * @typedef {ReadonlyArray<Readonly<{name: string, description: string, descriptionKey: string, text: string, negative?: string}>>} Builtins
 */

/** NovelAI's usual negative prompt (Undesired Content), the NAI preset's default negative. */
export const NAI_NEGATIVE = 'lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, worst quality, low quality, jpeg artifacts, signature, watermark, blurry';

/** @type {Builtins} */
export const PREDEFINED = Object.freeze([
    Object.freeze({ name: DEFAULT_PRESET, descriptionKey: 'iig_preset_desc_default', description: 'Plain visual descriptions that work with any image model.', text: DEFAULT_META_PROMPT }),
    Object.freeze({ name: 'NAI 4.5 Full', descriptionKey: 'iig_preset_desc_nai', description: "Danbooru-style tags tuned for NovelAI Diffusion V4.5 (Full), with each character's tags grouped together.", text: NAI_TEXT, negative: NAI_NEGATIVE }),
    Object.freeze({ name: 'Natural language (FLUX, SDXL, DALL-E)', descriptionKey: 'iig_preset_desc_natural', description: 'One or two descriptive sentences for models that read prose, such as FLUX, SDXL and DALL-E.', text: NATURAL_TEXT }),
]);

/** Names are compared this way everywhere, so "noir" and "Noir" can never both exist. */
const key = (/** @type {unknown} */ name) => (typeof name === 'string' ? name.trim().toLowerCase() : '');

/**
 * A user-facing message that keeps its template, so the UI can translate it with
 * SillyTavern's `t` (which looks up "text ${0}" keys) and still fill in the values.
 * @typedef {{text: string, strings: readonly string[], values: unknown[]}} Message
 */

/** @param {TemplateStringsArray} strings @param {unknown[]} values @returns {Message} */
export function message(strings, ...values) {
    return { text: strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), ''), strings: [...strings], values };
}

export class PresetError extends Error {
    /** @param {'read-only'|'not-found'|'empty'|'invalid-name'|'exists'|'too-long'} code @param {Message} msg */
    constructor(code, msg) {
        super(msg.text);
        this.name = 'PresetError';
        this.code = code;
        this.msg = msg;
    }
}

/** @param {string} name @param {Builtins} [builtins] */
export function isPredefined(name, builtins = PREDEFINED) {
    return builtins.some((p) => key(p.name) === key(name));
}

/**
 * Only string values count, so a store that skipped normaliseStore still can't yield junk.
 * @param {PresetStore} store @returns {Array<[string, string]>}
 */
function customEntries(store) {
    const custom = store && typeof store.custom === 'object' && store.custom !== null ? store.custom : {};
    return Object.entries(custom).filter(([, text]) => typeof text === 'string');
}

/** @param {PresetStore} store @param {string} name @returns {string | null} the stored spelling */
function customName(store, name) {
    const found = customEntries(store).find(([n]) => key(n) === key(name));
    return found ? found[0] : null;
}

/** @param {string} name @returns {Message | null} why the name is unusable, null if fine */
function nameProblem(name) {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!trimmed) return message`A preset needs a name.`;
    if (trimmed.length > MAX_NAME_CHARS) return message`A preset name can be at most ${MAX_NAME_CHARS} characters long.`;
    // Line breaks and control characters would break the preset list and its labels.
    if (/[\u0000-\u001f\u007f]/.test(trimmed)) return message`A preset name cannot contain line breaks or control characters.`;
    return null;
}

const readOnly = (/** @type {string} */ name) =>
    new PresetError('read-only', message`“${name.trim()}” is a built-in preset and cannot be changed. Use Save As to make your own copy.`);
const notFound = (/** @type {string} */ name) =>
    new PresetError('not-found', message`There is no preset called “${String(name).trim()}”. It may have been deleted or renamed.`);

/** @param {string} text */
function checkText(text) {
    if (typeof text !== 'string' || !text.trim()) throw new PresetError('empty', message`The preset text is empty. Write the instructions for the chat model before saving.`);
    if (text.length > MAX_TEXT_CHARS) throw new PresetError('too-long', message`The preset text is ${text.length} characters long; the limit is ${MAX_TEXT_CHARS}. Shorten it before saving.`);
}

/**
 * Repair whatever was stored (old versions, hand edits, other extensions) into a valid store.
 * @param {unknown} raw
 * @returns {{store: PresetStore, problems: string[]}} problems are user-facing sentences
 */
export function normaliseStore(raw, /** @type {Builtins} */ builtins = PREDEFINED) {
    /** @type {string[]} */
    const problems = [];
    const fresh = () => ({ selected: DEFAULT_PRESET, custom: {} });
    // Nothing stored yet is a first run, not a problem.
    if (raw === undefined || raw === null) return { store: fresh(), problems };
    if (typeof raw !== 'object' || Array.isArray(raw)) {
        problems.push('The saved presets could not be read and were reset to the built-in ones.');
        return { store: fresh(), problems };
    }
    const { selected, custom } = /** @type {{selected?: unknown, custom?: unknown}} */ (raw);

    /** @type {Array<[string, string]>} */
    const kept = [];
    if (custom !== undefined && (typeof custom !== 'object' || custom === null || Array.isArray(custom))) {
        problems.push('The saved custom presets could not be read and were removed.');
    } else if (custom) {
        for (const [rawName, text] of Object.entries(custom)) {
            const name = rawName.trim();
            const label = name || '(unnamed)';
            const why = nameProblem(rawName);
            if (why) problems.push(`Removed a custom preset with an unusable name “${label.slice(0, MAX_NAME_CHARS)}”: ${why.text}`);
            else if (isPredefined(name, builtins)) problems.push(`Removed the custom preset “${name}” because a built-in preset has that name.`);
            else if (typeof text !== 'string') problems.push(`Removed the custom preset “${name}” because its text was not readable.`);
            else if (!text.trim()) problems.push(`Removed the custom preset “${name}” because its text was empty.`);
            else if (kept.some(([n]) => key(n) === key(name))) problems.push(`Removed a second custom preset called “${name}”; names must differ by more than capital letters.`);
            else {
                if (text.length > MAX_TEXT_CHARS) problems.push(`The custom preset “${name}” was longer than ${MAX_TEXT_CHARS} characters and was shortened.`);
                kept.push([name, text.slice(0, MAX_TEXT_CHARS)]);
            }
        }
    }
    // fromEntries defines own properties, so a stored "__proto__" name can't reach the prototype.
    const store = { selected: DEFAULT_PRESET, custom: Object.fromEntries(kept) };
    const entry = typeof selected === 'string' ? getPreset(store, selected, builtins) : null;
    if (entry) store.selected = entry.name;
    else if (selected !== undefined) problems.push(`The selected preset “${String(selected).slice(0, MAX_NAME_CHARS)}” no longer exists, so “${DEFAULT_PRESET}” is used instead.`);
    return { store, problems };
}

/**
 * @param {PresetStore} store
 * @returns {PresetEntry[]} built-ins first in their fixed order, then the user's by name
 */
export function listPresets(store, /** @type {Builtins} */ builtins = PREDEFINED) {
    const builtIn = builtins.map((p) => ({ name: p.name, text: p.text, readOnly: true, description: p.description, descriptionKey: p.descriptionKey }));
    const own = customEntries(store)
        .map(([name, text]) => ({ name, text, readOnly: false }))
        .sort((a, b) => a.name.localeCompare(b.name));
    return [...builtIn, ...own];
}

/** @param {PresetStore} store @param {string} name @param {Builtins} [builtins] @returns {PresetEntry | null} */
export function getPreset(store, name, builtins = PREDEFINED) {
    return listPresets(store, builtins).find((p) => key(p.name) === key(name)) ?? null;
}

/** @param {PresetStore} store @param {Builtins} [builtins] @returns {PresetEntry} */
export function selectedPreset(store, builtins = PREDEFINED) {
    return getPreset(store, store?.selected, builtins) ?? /** @type {PresetEntry} */ (getPreset(store, DEFAULT_PRESET, builtins));
}

/**
 * The negative prompt that goes with a preset: a built-in's default, a custom preset's own from
 * `negatives` (custom preset name -> text, kept beside the store); '' when it has none.
 * @param {PresetStore} store @param {string} name @param {Readonly<Record<string, unknown>>} [negatives]
 * @param {Builtins} [builtins] @returns {string}
 */
export function presetNegative(store, name, negatives = {}, builtins = PREDEFINED) {
    const builtIn = builtins.find((p) => key(p.name) === key(name));
    if (builtIn) return builtIn.negative ?? '';
    const own = customName(store, name);
    const found = own === null ? undefined : Object.entries(negatives ?? {}).find(([n]) => key(n) === key(own));
    return typeof found?.[1] === 'string' ? found[1] : '';
}

/** @param {PresetStore} store @param {Array<[string, string]>} entries @param {string} [selected] @returns {PresetStore} */
function withCustom(store, entries, selected = store.selected) {
    return { selected, custom: Object.fromEntries(entries) };
}

/**
 * Overwrite an existing custom preset's text.
 * @param {PresetStore} store @param {string} name @param {string} text @returns {PresetStore}
 */
export function savePreset(store, name, text, /** @type {Builtins} */ builtins = PREDEFINED) {
    if (isPredefined(name, builtins)) throw readOnly(name);
    const existing = customName(store, name);
    if (existing === null) throw notFound(name);
    checkText(text);
    return withCustom(store, customEntries(store).map(([n, t]) => [n, n === existing ? text : t]));
}

/**
 * Create a custom preset and select it. With overwrite, replaces one whose name matches
 * ignoring case, taking the new spelling.
 * @param {PresetStore} store @param {string} name @param {string} text
 * @param {{overwrite?: boolean}} [options]
 * @returns {PresetStore}
 */
export function saveAsPreset(store, name, text, { overwrite = false } = {}, /** @type {Builtins} */ builtins = PREDEFINED) {
    const why = nameProblem(name);
    if (why) throw new PresetError('invalid-name', why);
    const trimmed = name.trim();
    if (isPredefined(trimmed, builtins)) throw readOnly(trimmed);
    // Checked before "exists" so the user isn't asked to confirm an overwrite that then fails.
    checkText(text);
    const existing = customName(store, trimmed);
    if (existing !== null && !overwrite) {
        throw new PresetError('exists', message`A preset called “${existing}” already exists. Do you want to replace it?`);
    }
    const others = customEntries(store).filter(([n]) => n !== existing);
    return withCustom(store, [...others, [trimmed, text]], trimmed);
}

/**
 * @param {PresetStore} store @param {string} name @returns {PresetStore}
 */
export function deletePreset(store, name, /** @type {Builtins} */ builtins = PREDEFINED) {
    if (isPredefined(name, builtins)) throw new PresetError('read-only', message`“${String(name).trim()}” is a built-in preset and cannot be deleted.`);
    const existing = customName(store, name);
    if (existing === null) throw notFound(name);
    const selected = key(store.selected) === key(existing) ? DEFAULT_PRESET : store.selected;
    return withCustom(store, customEntries(store).filter(([n]) => n !== existing), selected);
}

/** @param {PresetStore} store @param {string} name @returns {PresetStore} */
export function selectPreset(store, name, /** @type {Builtins} */ builtins = PREDEFINED) {
    const entry = getPreset(store, name, builtins);
    if (!entry) throw notFound(name);
    return withCustom(store, customEntries(store), entry.name);
}

/**
 * The meta-prompt to send: the selected preset with the cadence, the shape rule and the cast
 * block filled in (no cast block: its `{{cast}}` line goes).
 * @param {PresetStore} store @param {number} words @param {string} [cast] castBlock's text
 * @param {boolean} [shapes] the model may choose a picture's shape
 */
export function buildMetaPrompt(store, words, cast = '', shapes = true) {
    return fillCast(fillPlaceholders(selectedPreset(store).text, { words, shapes }), cast);
}
