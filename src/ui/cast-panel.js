// @ts-check
/**
 * The drawer's Characters section: the open chat's cast (its character or the group's
 * members, and the persona) with their appearance, aliases and avoid text, where the
 * appearance comes from, Describe from card and Save; and this chat's style text, seed and
 * negative prompt (the looks lorebook is lore-panel.js). It follows chat,
 * character, group and persona changes, without throwing away what the user is typing.
 * Also the `/iig-appearance` command, for STscript.
 *
 * Names and card texts are user data: everything is put in with textContent and value.
 */
import { ctx, t, tk, toast } from '../st.js';
import { errorText, log } from '../log.js';
import { presetStyle } from '../prompts/cast.js';
import { cleanDescription, describeRequest, normaliseAliases } from '../prompts/cast-text.js';
import { selectedPreset } from '../prompts/presets.js';
import { chatLook, currentCast, onLookSaved, parseSeed, saveLook, setChatLook } from '../features/looks.js';

/** @typedef {import('../features/looks.js').Member} Member */
/** @typedef {Map<string, {appearance: string, aliases: string, avoid: string}>} Drafts unsaved edits per member id, kept across re-renders */

/** @param {import('../features/looks.js').LookSource} source */
function sourceLabel(source) {
    switch (source) {
        case 'card': return tk('iig_source_card', 'saved in the card');
        case 'persona': return tk('iig_source_persona', 'saved for this persona');
        case 'image-generation': return tk('iig_source_sd', 'from Image Generation\'s character prompt');
        default: return tk('iig_source_none', 'none yet');
    }
}

/**
 * Ask the chat model for a member's appearance.
 * @param {Member} member @param {import('../prompts/cast.js').PromptStyle} style
 * @returns {Promise<string>} the cleaned appearance; throws a readable Error
 */
async function describeMember(member, style) {
    const c = ctx();
    if (typeof c.generateRaw !== 'function') throw new Error(t`This SillyTavern cannot ask the model (no generateRaw).`);
    const request = describeRequest({ name: member.name, description: member.description, personality: member.personality, scenario: member.scenario }, style);
    let answer;
    try {
        answer = await c.generateRaw({ prompt: request.prompt, systemPrompt: request.systemPrompt });
    } catch (error) {
        throw new Error(t`The model could not be asked: ${errorText(error)}`);
    }
    const cleaned = cleanDescription(answer);
    if (cleaned.problem === 'refusal') throw new Error(t`The model declined to describe ${member.name}. Nothing was changed; write the appearance yourself or try again.`);
    if (cleaned.problem) throw new Error(t`The model's answer was not a usable appearance. Nothing was changed; try again or write it yourself.`);
    return /** @type {string} */ (cleaned.appearance);
}

/** @template {keyof HTMLElementTagNameMap} K @param {K} tag @param {string} className @returns {HTMLElementTagNameMap[K]} */
function make(tag, className) {
    const node = document.createElement(tag);
    node.className = className;
    return node;
}

/**
 * One member's row: name, where the look comes from, appearance, aliases, Describe and Save.
 * @param {Member} member
 * @param {{drafts: Drafts, style: () => import('../prompts/cast.js').PromptStyle, saved: () => void}} deps
 */
function memberRow(member, { drafts, style, saved }) {
    const box = make('div', 'iig-member');
    box.dataset.iigMember = member.id;
    const head = document.createElement('div');
    const name = make('b', 'iig-member-name');
    name.textContent = member.kind === 'persona' ? `${member.name} (${tk('iig_persona', 'persona')})` : member.name;
    const source = make('small', 'iig-member-source');
    source.textContent = ` · ${sourceLabel(member.source)}`;
    head.append(name, source);

    const draft = drafts.get(member.id);
    const appearance = make('textarea', 'text_pole textarea_compact iig-member-appearance');
    appearance.rows = 3;
    appearance.placeholder = tk('iig_appearance_placeholder', 'How they look: hair, eyes, build, clothing, marks');
    appearance.value = draft?.appearance ?? member.appearance;
    const aliases = make('input', 'text_pole iig-member-aliases');
    aliases.placeholder = member.defaultAliases.join(', ');
    aliases.title = tk('iig_aliases_help', 'Names they go by in prompts, separated by commas (empty: the full name and its first word)');
    aliases.value = draft?.aliases ?? member.aliases.join(', ');
    const avoid = make('input', 'text_pole iig-member-avoid');
    avoid.placeholder = tk('iig_avoid_placeholder', 'Avoid (negative prompt): hat, glasses');
    avoid.title = tk('iig_avoid_help', 'Added to the negative prompt of every picture whose prompt names them');
    avoid.value = draft?.avoid ?? member.avoid;
    const remember = () => drafts.set(member.id, { appearance: appearance.value, aliases: aliases.value, avoid: avoid.value });
    for (const field of [appearance, aliases, avoid]) field.addEventListener('input', remember);

    const buttons = make('div', 'flex-container');
    const describe = make('div', 'menu_button iig-member-describe');
    describe.textContent = member.kind === 'persona' ? tk('iig_describe_persona', 'Describe from persona') : tk('iig_describe_card', 'Describe from card');
    const save = make('div', 'menu_button iig-member-save');
    save.textContent = tk('iig_save', 'Save');
    buttons.append(describe, save);

    describe.addEventListener('click', async () => {
        if (describe.classList.contains('iig-busy')) return;
        describe.classList.add('iig-busy');
        try {
            appearance.value = await describeMember(member, style());
            remember();
            toast(t`Check the description of ${member.name}, edit it if needed, then press Save.`, 'info');
        } catch (error) {
            toast(errorText(error), 'warning');
        } finally {
            describe.classList.remove('iig-busy');
        }
    });
    save.addEventListener('click', async () => {
        try {
            await saveLook(member, { appearance: appearance.value, aliases: normaliseAliases(aliases.value), avoid: avoid.value });
            drafts.delete(member.id);
            toast(t`Saved the appearance of ${member.name}.`, 'success');
        } catch (error) {
            toast(t`Could not save the appearance: ${errorText(error)}`, 'error');
        }
        saved();
    });
    box.append(head, appearance, aliases, avoid, buttons);
    return box;
}

/**
 * The chat's style, seed and negative fields: shown from the chat's metadata, saved with the chat.
 * @param {{style: HTMLInputElement, seed: HTMLInputElement, negative: HTMLInputElement}} fields
 * @param {() => Promise<boolean>} saveChat
 * @returns {() => void} shows the open chat's values (not in a field the user is typing in)
 */
function bindChatLook(fields, saveChat) {
    const { style: styleInput, seed: seedInput, negative: negativeInput } = fields;
    const show = (/** @type {boolean} */ force) => {
        const look = chatLook();
        const open = Boolean(ctx().getCurrentChatId?.());
        const values = { style: look.style, seed: look.seed === null ? '' : String(look.seed), negative: look.negative };
        for (const [key, input] of Object.entries(fields)) {
            input.disabled = !open;
            if (force || document.activeElement !== input) input.value = values[/** @type {keyof typeof values} */ (key)];
        }
    };
    const save = async () => {
        const parsed = parseSeed(seedInput.value);
        if ('error' in parsed) {
            toast(t`The seed must be a whole number from 0 to 4294967295, or empty for a random seed.`, 'warning');
            seedInput.value = chatLook().seed === null ? '' : String(chatLook().seed);
            return;
        }
        try {
            setChatLook({ style: styleInput.value, seed: parsed.seed, negative: negativeInput.value });
        } catch {
            toast(t`Open a chat first: the style, seed and negative prompt belong to a chat.`, 'warning');
            return;
        }
        show(true);
        if (!(await saveChat())) log.warn('the chat style, seed and negative were set but the chat was not saved yet');
    };
    for (const input of Object.values(fields)) input.addEventListener('change', () => void save());
    return () => show(false);
}

/**
 * @param {HTMLElement} root the rendered template
 * @param {{presets: () => import('../prompts/presets.js').PresetStore, saveChat: () => Promise<boolean>}} deps
 *   saveChat: save the open chat through the one write path (for the chat's style, seed and negative)
 */
export function bindCastPanel(root, deps) {
    const list = /** @type {HTMLElement|null} */ (root.querySelector('#inline_images_cast'));
    const styleInput = /** @type {HTMLInputElement|null} */ (root.querySelector('#inline_images_chat_style'));
    const seedInput = /** @type {HTMLInputElement|null} */ (root.querySelector('#inline_images_chat_seed'));
    const negativeInput = /** @type {HTMLInputElement|null} */ (root.querySelector('#inline_images_chat_negative'));
    if (!list || !styleInput || !seedInput || !negativeInput) {
        log.warn('the Characters section is missing from the drawer');
        return { refresh: () => {} };
    }
    /** @type {Drafts} */
    const drafts = new Map();
    const rowDeps = { drafts, style: () => presetStyle(selectedPreset(deps.presets())), saved: () => refresh(true) };
    const showChatLook = bindChatLook({ style: styleInput, seed: seedInput, negative: negativeInput }, deps.saveChat);

    let shown = '';
    /** @param {boolean} [force] also when the user is in one of the fields */
    const refresh = (force = false) => {
        const cast = currentCast();
        const ids = cast.map((m) => m.id).join('\n');
        // Re-rendering under the cursor would cost the user their place: same cast, later.
        if (!force && ids === shown && list.contains(document.activeElement)) return;
        shown = ids;
        // Drafts of members no longer shown go: they belonged to another chat's cast.
        for (const id of [...drafts.keys()]) if (!cast.some((m) => m.id === id)) drafts.delete(id);
        if (cast.length) {
            list.replaceChildren(...cast.map((member) => memberRow(member, rowDeps)));
        } else {
            const empty = make('small', 'iig-help');
            empty.textContent = tk('iig_cast_empty', 'Open a chat to see its characters.');
            list.replaceChildren(empty);
        }
        showChatLook();
    };

    const { eventSource, eventTypes: E } = ctx();
    for (const name of ['CHAT_CHANGED', 'CHARACTER_EDITED', 'GROUP_UPDATED', 'PERSONA_CHANGED']) {
        if (E?.[name]) eventSource.on(E[name], () => refresh());
    }
    // A look saved elsewhere (the slash command, another row) shows at once; unsaved edits of
    // the other rows stay as drafts.
    onLookSaved(() => refresh(true));
    refresh();
    return { refresh };
}
