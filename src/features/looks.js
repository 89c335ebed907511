// @ts-check
/**
 * Where the cast's looks live, and the chat's own style and seed.
 *
 * - A character's look is in its card: `data.extensions.inline_images = {appearance, aliases,
 *   avoid}`, written with SillyTavern's `writeExtensionField`, so it travels with an exported
 *   card. `avoid` is what their pictures must not show (added to the negative prompt).
 * - Without one, Image Generation's own "character-specific prompt prefix" for that character
 *   (`extensionSettings.sd.character_prompts[<avatar without extension>]`) is used.
 * - The user's persona: `extensionSettings.inlineImagesPersonas[<persona avatar>]`.
 * - The chat's style text, seed and negative: `chatMetadata.inline_images`, saved with the chat
 *   through the one write path (the caller's `saveChat`).
 * - Places and things: the looks lorebook (lorebook.js), matched like characters.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';
import { MAX_CAST, castBlock, composePromptReport, findMentions, presetStyle } from '../prompts/cast.js';
import { defaultAliases, normaliseAliases, normaliseAppearance, normaliseAvoid, normaliseChatStyle, readLook } from '../prompts/cast-text.js';
import { MAX_LORE_LOOKS } from '../prompts/lorebook.js';
import { composeNegative, normaliseNegative } from '../prompts/negative.js';
import { presetNegative, selectedPreset } from '../prompts/presets.js';
import { lorebookLooks } from './lorebook.js';

const CARD_KEY = 'inline_images';
const PERSONAS_KEY = 'inlineImagesPersonas';
const CHAT_KEY = 'inline_images';

/** @typedef {'card' | 'image-generation' | 'persona' | 'none'} LookSource */
/**
 * @typedef {object} Member
 * @property {string} id 'char:<avatar>' or 'persona:<avatar>'
 * @property {'character' | 'persona'} kind
 * @property {string} name
 * @property {string} avatar
 * @property {string} appearance the one used (ours, else Image Generation's)
 * @property {string[]} aliases as the user set them ([] means the defaults)
 * @property {string[]} defaultAliases
 * @property {string} avoid what their pictures must not show ('' = nothing)
 * @property {LookSource} source
 * @property {string} [description] the card's (or persona's) text, for Describe from card
 * @property {string} [personality]
 * @property {string} [scenario]
 */

// Persona avatar: SillyTavern keeps it in personas.js, not in getContext().
// src/features/ -> src/ -> extension folder -> third-party -> extensions -> scripts/personas.js
const PERSONAS_URL = new URL('../../../../../personas.js', import.meta.url).href;
/** @type {null | (() => string)} */
let userAvatar = null;
import(/* webpackIgnore: true */ PERSONAS_URL).then((module) => {
    if (typeof module.user_avatar === 'string') userAvatar = () => String(module.user_avatar);
}).catch((error) => log.warn('cannot read the persona avatar; persona looks are off', error));

/** @param {string} avatar */
const sdKey = (avatar) => avatar.replace(/\.[^/.]+$/, '');

/** @param {any} character @returns {Member | null} */
function characterMember(character) {
    if (!character || typeof character.avatar !== 'string') return null;
    const name = String(character.name ?? '');
    const own = readLook(character.data?.extensions?.[CARD_KEY]);
    const sd = ctx().extensionSettings?.sd?.character_prompts?.[sdKey(character.avatar)];
    const fallback = typeof sd === 'string' ? normaliseAppearance(sd) : '';
    const source = own.appearance ? 'card' : fallback ? 'image-generation' : 'none';
    return {
        id: `char:${character.avatar}`, kind: 'character', name, avatar: character.avatar,
        appearance: own.appearance || fallback, aliases: own.aliases, defaultAliases: defaultAliases(name), avoid: own.avoid, source,
        description: String(character.description ?? character.data?.description ?? ''),
        personality: String(character.personality ?? ''), scenario: String(character.scenario ?? ''),
    };
}

/** The persona's avatar, or '' when unknown. */
function personaAvatar() {
    return userAvatar?.() ?? '';
}

/** @returns {Member | null} */
function personaMember() {
    const c = ctx();
    const avatar = personaAvatar();
    if (!avatar) return null;
    const name = String(c.name1 ?? '');
    const store = c.extensionSettings?.[PERSONAS_KEY];
    const own = readLook(store && typeof store === 'object' ? store[avatar] : undefined);
    return {
        id: `persona:${avatar}`, kind: 'persona', name, avatar,
        appearance: own.appearance, aliases: own.aliases, defaultAliases: defaultAliases(name), avoid: own.avoid,
        source: own.appearance ? 'persona' : 'none',
        description: String(c.powerUserSettings?.persona_description ?? ''),
    };
}

/**
 * The open chat's cast: its character (or the group's members, in the group's order) and the
 * persona. Empty when no chat is open.
 * @returns {Member[]}
 */
export function currentCast() {
    const c = ctx();
    const characters = Array.isArray(c.characters) ? c.characters : [];
    /** @type {Member[]} */
    const out = [];
    if (c.groupId) {
        const group = (c.groups ?? []).find((/** @type {any} */ g) => g.id === c.groupId);
        for (const avatar of Array.isArray(group?.members) ? group.members : []) {
            const index = characters.findIndex((/** @type {any} */ ch) => ch?.avatar === avatar);
            const member = index >= 0 ? characterMember(characters[index]) : null;
            if (member) out.push(member);
        }
    } else if (c.characterId !== undefined && c.characterId !== null && characters[Number(c.characterId)]) {
        const member = characterMember(characters[Number(c.characterId)]);
        if (member) out.push(member);
    } else {
        return [];
    }
    const persona = personaMember();
    if (persona) out.push(persona);
    return out;
}

/** Called after any look was saved (the drawer shows it). @type {Set<() => void>} */
const saved = new Set();
/** @param {() => void} listener */
export function onLookSaved(listener) {
    saved.add(listener);
}

/**
 * Save a member's look: a character's into its card, the persona's into the settings. A blank
 * appearance with no aliases and no avoid text removes our record (the fallback applies again).
 * @param {Member} member
 * @param {{appearance: string, aliases: string | string[], avoid?: string}} look without avoid: the member's stays
 * @returns {Promise<{appearance: string, aliases: string[], avoid: string}>} what was stored
 */
export async function saveLook(member, look) {
    const c = ctx();
    const value = {
        appearance: normaliseAppearance(look.appearance), aliases: normaliseAliases(look.aliases),
        avoid: normaliseAvoid(look.avoid ?? member.avoid),
    };
    const empty = !value.appearance && !value.aliases.length && !value.avoid;
    if (member.kind === 'persona') {
        const store = c.extensionSettings[PERSONAS_KEY];
        const next = store && typeof store === 'object' && !Array.isArray(store) ? { ...store } : {};
        if (empty) delete next[member.avatar];
        else next[member.avatar] = value;
        c.extensionSettings[PERSONAS_KEY] = next;
        c.saveSettingsDebounced();
        saved.forEach((listener) => listener());
        return value;
    }
    const characters = Array.isArray(c.characters) ? c.characters : [];
    const index = characters.findIndex((/** @type {any} */ ch) => ch?.avatar === member.avatar);
    if (index < 0) throw new Error(`the character ${member.name} is not loaded any more`);
    if (typeof c.writeExtensionField !== 'function') throw new Error('this SillyTavern cannot write extension data into cards');
    await c.writeExtensionField(index, CARD_KEY, value);
    saved.forEach((listener) => listener());
    return value;
}

/**
 * The open chat's style text, seed and negative prompt.
 * @returns {{style: string, seed: number | null, negative: string}}
 */
export function chatLook() {
    const raw = ctx().chatMetadata?.[CHAT_KEY];
    const value = raw && typeof raw === 'object' ? raw : {};
    const seed = Number.isSafeInteger(value.seed) && value.seed >= 0 ? value.seed : null;
    return { style: normaliseChatStyle(value.style), seed, negative: normaliseNegative(value.negative) };
}

/**
 * Parse a seed typed by the user: blank means random (null).
 * @param {unknown} text @returns {{seed: number | null} | {error: string}}
 */
export function parseSeed(text) {
    const s = String(text ?? '').trim();
    if (!s) return { seed: null };
    if (!/^\d{1,15}$/.test(s)) return { error: 'not-a-number' };
    const seed = Number(s);
    return Number.isSafeInteger(seed) && seed <= 4294967295 ? { seed } : { error: 'too-large' };
}

/**
 * Set the open chat's style, seed and negative in its metadata (the caller saves the chat).
 * @param {{style: string, seed: number | null, negative?: string}} look without negative: the chat's stays
 */
export function setChatLook(look) {
    const meta = ctx().chatMetadata;
    if (!meta || typeof meta !== 'object') throw new Error('no chat is open');
    const style = normaliseChatStyle(look.style);
    const negative = normaliseNegative(look.negative ?? chatLook().negative);
    if (!style && look.seed === null && !negative) delete meta[CHAT_KEY];
    else meta[CHAT_KEY] = { style, ...(look.seed === null ? {} : { seed: look.seed }), ...(negative ? { negative } : {}) };
    return chatLook();
}

/** @param {import('../prompts/presets.js').PresetStore} presets */
const styleOf = (presets) => presetStyle(selectedPreset(presets));

/**
 * The `{{cast}}` text for the open chat and the selected preset ('' when nobody and nothing
 * has a look): the cast's looks, then the looks lorebook's places and things.
 * @param {import('../prompts/presets.js').PresetStore} presets
 */
export function castForPrompt(presets) {
    return castBlock(currentCast(), { style: styleOf(presets), lore: lorebookLooks() });
}

/**
 * What goes to Image Generation for a tag's prompt in the open chat: the looks of the members
 * and of the lorebook's places and things it names (in order of mention) and the chat style
 * added; the chat's seed; and the negative prompt: the selected preset's, the chat's, then the
 * avoid texts of the members it names ('' when none).
 * @param {string} prompt @param {import('../prompts/presets.js').PresetStore} presets
 * @param {Readonly<Record<string, string>>} [presetNegatives] custom presets' negatives (Settings.presetNegatives)
 * @returns {{prompt: string, seed: number | null, negative: string}}
 */
export function composeForCast(prompt, presets, presetNegatives = {}) {
    const look = chatLook();
    // Characters first: an alias a character shares with a lorebook entry is the character's.
    const named = findMentions(prompt, [...currentCast().slice(0, MAX_CAST), ...lorebookLooks()], MAX_CAST + MAX_LORE_LOOKS);
    const report = composePromptReport(prompt, named, { style: styleOf(presets), chatStyle: look.style });
    if (report.added.length || report.shortened) log.debug(`looks of ${report.added.join(', ')} added to "${prompt}"`);
    const avoid = named.map((m) => ('avoid' in m ? m.avoid : ''));
    const negative = composeNegative([presetNegative(presets, selectedPreset(presets).name, presetNegatives), look.negative, ...avoid]);
    return { prompt: report.prompt, seed: look.seed, negative };
}

/**
 * The member of the open chat's cast called `name` (its name or an alias, any case), or the
 * persona for "{{user}}"-like words.
 * @param {string} name @returns {Member | null}
 */
export function memberNamed(name) {
    const wanted = name.trim().toLowerCase();
    const cast = currentCast();
    if (['persona', 'user', 'me'].includes(wanted)) return cast.find((m) => m.kind === 'persona') ?? null;
    return cast.find((m) => m.name.trim().toLowerCase() === wanted)
        ?? cast.find((m) => (m.aliases.length ? m.aliases : m.defaultAliases).some((a) => a.toLowerCase() === wanted))
        ?? null;
}
