// @ts-check
/**
 * The drawer's Characters section: the open chat's cast (its character or the group's
 * members, and the persona) with their appearance and aliases, where the appearance comes
 * from, Describe from card and Save; and this chat's style text and seed. It follows chat,
 * character, group and persona changes, without throwing away what the user is typing.
 * Also the `/iig-appearance` command, for STscript.
 *
 * Names and card texts are user data: everything is put in with textContent and value.
 */
import { ctx, t, tk, toast } from '../st.js';
import { log } from '../log.js';
import { cleanDescription, describeRequest, normaliseAliases, presetStyle } from '../core/cast.js';
import { selectedPreset } from '../core/presets.js';
import { chatLook, currentCast, onLookSaved, parseSeed, saveLook, setChatLook } from '../cast-store.js';

/** @typedef {import('../cast-store.js').Member} Member */

/** @param {import('../cast-store.js').LookSource} source */
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
 * @param {Member} member @param {import('../core/cast.js').PromptStyle} style
 * @returns {Promise<string>} the cleaned appearance; throws a readable Error
 */
export async function describeMember(member, style) {
    const c = ctx();
    if (typeof c.generateRaw !== 'function') throw new Error(t`This SillyTavern cannot ask the model (no generateRaw).`);
    const request = describeRequest({ name: member.name, description: member.description, personality: member.personality, scenario: member.scenario }, style);
    let answer;
    try {
        answer = await c.generateRaw({ prompt: request.prompt, systemPrompt: request.systemPrompt });
    } catch (error) {
        throw new Error(t`The model could not be asked: ${error instanceof Error ? error.message : String(error)}`);
    }
    const cleaned = cleanDescription(answer);
    if (cleaned.problem === 'refusal') throw new Error(t`The model declined to describe ${member.name}. Nothing was changed; write the appearance yourself or try again.`);
    if (cleaned.problem) throw new Error(t`The model's answer was not a usable appearance. Nothing was changed; try again or write it yourself.`);
    return /** @type {string} */ (cleaned.appearance);
}

/**
 * @param {HTMLElement} root the rendered template
 * @param {{presets: () => import('../core/presets.js').PresetStore, saveChat: () => Promise<boolean>}} deps
 *   saveChat: save the open chat through the one write path (for the chat's style and seed)
 */
export function bindCastPanel(root, deps) {
    const list = /** @type {HTMLElement|null} */ (root.querySelector('#inline_images_cast'));
    const styleInput = /** @type {HTMLInputElement|null} */ (root.querySelector('#inline_images_chat_style'));
    const seedInput = /** @type {HTMLInputElement|null} */ (root.querySelector('#inline_images_chat_seed'));
    if (!list || !styleInput || !seedInput) {
        log.warn('the Characters section is missing from the drawer');
        return { refresh: () => {} };
    }
    /** Unsaved edits per member id, kept across re-renders. @type {Map<string, {appearance: string, aliases: string}>} */
    const drafts = new Map();
    const style = () => presetStyle(selectedPreset(deps.presets()));

    /** @param {Member} member */
    const row = (member) => {
        const box = document.createElement('div');
        box.className = 'iig-member';
        box.dataset.iigMember = member.id;
        const head = document.createElement('div');
        const name = document.createElement('b');
        name.className = 'iig-member-name';
        name.textContent = member.kind === 'persona' ? `${member.name} (${tk('iig_persona', 'persona')})` : member.name;
        const source = document.createElement('small');
        source.className = 'iig-member-source';
        source.textContent = ` · ${sourceLabel(member.source)}`;
        head.append(name, source);

        const draft = drafts.get(member.id);
        const appearance = document.createElement('textarea');
        appearance.className = 'text_pole textarea_compact iig-member-appearance';
        appearance.rows = 3;
        appearance.placeholder = tk('iig_appearance_placeholder', 'How they look: hair, eyes, build, clothing, marks');
        appearance.value = draft?.appearance ?? member.appearance;
        const aliases = document.createElement('input');
        aliases.className = 'text_pole iig-member-aliases';
        aliases.placeholder = member.defaultAliases.join(', ');
        aliases.title = tk('iig_aliases_help', 'Names they go by in prompts, separated by commas (empty: the full name and its first word)');
        aliases.value = draft?.aliases ?? member.aliases.join(', ');
        const remember = () => drafts.set(member.id, { appearance: appearance.value, aliases: aliases.value });
        appearance.addEventListener('input', remember);
        aliases.addEventListener('input', remember);

        const buttons = document.createElement('div');
        buttons.className = 'flex-container';
        const describe = document.createElement('div');
        describe.className = 'menu_button iig-member-describe';
        describe.textContent = member.kind === 'persona' ? tk('iig_describe_persona', 'Describe from persona') : tk('iig_describe_card', 'Describe from card');
        const save = document.createElement('div');
        save.className = 'menu_button iig-member-save';
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
                toast(error instanceof Error ? error.message : String(error), 'warning');
            } finally {
                describe.classList.remove('iig-busy');
            }
        });
        save.addEventListener('click', async () => {
            try {
                await saveLook(member, { appearance: appearance.value, aliases: normaliseAliases(aliases.value) });
                drafts.delete(member.id);
                toast(t`Saved the appearance of ${member.name}.`, 'success');
            } catch (error) {
                toast(t`Could not save the appearance: ${error instanceof Error ? error.message : String(error)}`, 'error');
            }
            refresh(true);
        });
        box.append(head, appearance, aliases, buttons);
        return box;
    };

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
        if (!cast.length) {
            const empty = document.createElement('small');
            empty.className = 'iig-help';
            empty.textContent = tk('iig_cast_empty', 'Open a chat to see its characters.');
            list.replaceChildren(empty);
        } else {
            list.replaceChildren(...cast.map(row));
        }
        const look = chatLook();
        const open = Boolean(ctx().getCurrentChatId?.());
        styleInput.disabled = !open;
        seedInput.disabled = !open;
        if (document.activeElement !== styleInput) styleInput.value = look.style;
        if (document.activeElement !== seedInput) seedInput.value = look.seed === null ? '' : String(look.seed);
    };

    const saveChatLook = async () => {
        const parsed = parseSeed(seedInput.value);
        if ('error' in parsed) {
            toast(t`The seed must be a whole number from 0 to 4294967295, or empty for a random seed.`, 'warning');
            seedInput.value = chatLook().seed === null ? '' : String(chatLook().seed);
            return;
        }
        try {
            setChatLook({ style: styleInput.value, seed: parsed.seed });
        } catch (error) {
            toast(t`Open a chat first: the style and seed belong to a chat.`, 'warning');
            return;
        }
        const look = chatLook();
        styleInput.value = look.style;
        seedInput.value = look.seed === null ? '' : String(look.seed);
        if (!(await deps.saveChat())) log.warn('the chat style and seed were set but the chat was not saved yet');
    };
    styleInput.addEventListener('change', () => void saveChatLook());
    seedInput.addEventListener('change', () => void saveChatLook());

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

/**
 * The member of the open chat's cast called `name` (its name or an alias, any case), or the
 * persona for "{{user}}"-like words.
 * @param {string} name @returns {Member | null}
 */
function memberNamed(name) {
    const wanted = name.trim().toLowerCase();
    const cast = currentCast();
    if (['persona', 'user', 'me'].includes(wanted)) return cast.find((m) => m.kind === 'persona') ?? null;
    return cast.find((m) => m.name.trim().toLowerCase() === wanted)
        ?? cast.find((m) => (m.aliases.length ? m.aliases : m.defaultAliases).some((a) => a.toLowerCase() === wanted))
        ?? null;
}

/** `/iig-appearance name=Mara [text]`: read (no text) or set an appearance of the open chat's cast. */
export function registerAppearanceCommand() {
    const c = ctx();
    const { SlashCommandParser, SlashCommand, SlashCommandArgument, SlashCommandNamedArgument, ARGUMENT_TYPE } = c;
    if (!SlashCommandParser?.addCommandObject || !SlashCommand?.fromProps) return;
    SlashCommandParser.addCommandObject(SlashCommand.fromProps({
        name: 'iig-appearance',
        callback: async (/** @type {Record<string, any>} */ args, /** @type {string} */ value) => {
            const who = String(args.name ?? '').trim();
            const member = who ? memberNamed(who) : currentCast().find((m) => m.kind === 'character') ?? null;
            if (!member) throw new Error(t`/iig-appearance: nobody called "${who}" is in this chat.`);
            const text = String(value ?? '').trim();
            if (['true', 'on', '1', 'yes'].includes(String(args.reset ?? '').toLowerCase())) {
                await saveLook(member, { appearance: '', aliases: [] });
                return currentCast().find((m) => m.id === member.id)?.appearance ?? '';
            }
            const aliasesGiven = args.aliases !== undefined;
            if (!text && !aliasesGiven) return member.appearance;
            const stored = await saveLook(member, {
                appearance: text || (member.source === 'image-generation' ? '' : member.appearance),
                aliases: aliasesGiven ? normaliseAliases(String(args.aliases)) : member.aliases,
            });
            return stored.appearance;
        },
        returns: t`the appearance in use (after setting it, as stored)`,
        namedArgumentList: [
            SlashCommandNamedArgument.fromProps({ name: 'name', description: t`who: a character of this chat (name or alias), or "persona" (default: the chat's character)`, typeList: [ARGUMENT_TYPE.STRING] }),
            SlashCommandNamedArgument.fromProps({ name: 'aliases', description: t`set the names they go by, separated by commas`, typeList: [ARGUMENT_TYPE.STRING] }),
            SlashCommandNamedArgument.fromProps({ name: 'reset', description: t`true: remove the appearance and aliases set here (Image Generation's character prompt applies again)`, typeList: [ARGUMENT_TYPE.BOOLEAN] }),
        ],
        unnamedArgumentList: [SlashCommandArgument.fromProps({ description: t`the appearance to set (none: return the current one)`, typeList: [ARGUMENT_TYPE.STRING] })],
        helpString: `<div>${t`Gets or sets how a character of this chat looks in Inline Images pictures.`}</div><div>${tk('iig_example', 'Example:')} <pre><code>/iig-appearance name=Seraphina long silver hair, green eyes</code></pre></div>`,
    }));
}
