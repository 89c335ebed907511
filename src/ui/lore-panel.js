// @ts-check
/**
 * The drawer's "Looks lorebook": which lorebook holds the looks of places and things, its
 * entries as looks (read-only: they are edited in SillyTavern's own World Info editor, which
 * a button opens on that lorebook), and what is wrong with it, if anything.
 *
 * Lorebook names, keys and contents are user data: put in with textContent and Option only.
 */
import { t, tk, toast } from '../st.js';
import { log } from '../log.js';
import { FIELDS, validateField } from '../settings.js';
import { lorebookNames, lorebookState, onLorebookChanged, openLorebookEditor, reloadLorebook } from '../features/lorebook.js';

/** @typedef {import('../features/lorebook.js').LoreState} LoreState */

/** @param {LoreState} state */
function statusText(state) {
    switch (state.status) {
        case 'loading': return tk('iig_lore_reading', 'Reading the lorebook…');
        case 'ok': return t`${state.looks.length} looks from ${state.entries} entries; a prompt that names one gets its look.`;
        case 'missing': return t`Not found: the lorebook may have been deleted or renamed. Choose it again.`;
        case 'empty': return t`No enabled entry with a key and some content: nothing to add.`;
        case 'error': return t`The lorebook could not be read: ${state.error ?? ''}`;
        default: return '';
    }
}

/** One entry, read-only: its name, the other keys and its title, and its look. @param {import('../prompts/lorebook.js').LoreLook} look */
function entryRow(look) {
    const row = document.createElement('div');
    row.className = 'iig-lore-entry';
    row.dataset.iigLore = look.id;
    const name = document.createElement('b');
    name.className = 'iig-lore-name';
    name.textContent = look.name;
    const more = document.createElement('small');
    more.className = 'iig-lore-keys';
    const others = look.aliases.slice(1).join(', ');
    more.textContent = [others && ` · ${others}`, look.comment && look.comment !== look.name && ` · ${look.comment}`].filter(Boolean).join('');
    const text = document.createElement('div');
    text.className = 'iig-lore-look';
    text.textContent = look.appearance;
    row.append(name, more, text);
    return row;
}

/**
 * @param {HTMLElement} root the rendered template
 * @param {{settings: () => import('../types').Settings, save: (next: import('../types').Settings) => void}} store
 */
export function bindLorePanel(root, store) {
    const select = /** @type {HTMLSelectElement|null} */ (root.querySelector('#inline_images_looks_lorebook'));
    const list = /** @type {HTMLElement|null} */ (root.querySelector('#inline_images_lore'));
    const status = /** @type {HTMLElement|null} */ (root.querySelector('#inline_images_lore_status'));
    const open = /** @type {HTMLElement|null} */ (root.querySelector('#inline_images_lore_open'));
    if (!select || !list || !status || !open) {
        log.warn('the Looks lorebook part is missing from the drawer');
        return { refresh: () => {} };
    }

    /** The choices: none, SillyTavern's lorebooks, and the chosen one even when it is gone. */
    let listed = '';
    const fillNames = () => {
        const names = lorebookNames() ?? [];
        const current = store.settings().looksLorebook;
        const gone = Boolean(current) && !names.includes(current);
        // The same list again is left alone: redrawing an open list would close it.
        const now = JSON.stringify([names, current, gone]);
        if (now === listed) return;
        listed = now;
        const options = [new Option(tk('iig_lore_none', '(none)'), ''), ...names.map((n) => new Option(n, n))];
        if (gone) options.push(new Option(`${current} ${tk('iig_lore_not_found', '(not found)')}`, current));
        select.replaceChildren(...options);
        select.value = current;
    };
    /** @param {LoreState} state */
    const show = (state) => {
        fillNames();
        const current = store.settings().looksLorebook;
        const mine = state.name === current;
        status.textContent = mine ? statusText(state) : '';
        list.replaceChildren(...(mine && state.status === 'ok' ? state.looks.map(entryRow) : []));
        open.classList.toggle('iig-dimmed', !current);
    };

    // SillyTavern says nothing when a lorebook is made or deleted: look again when the user
    // comes to choose.
    for (const event of ['pointerenter', 'focus']) select.addEventListener(event, fillNames);
    select.addEventListener('change', () => {
        const { value } = validateField(FIELDS.looksLorebook, select.value);
        store.save({ ...store.settings(), looksLorebook: /** @type {string} */ (value) });
        void reloadLorebook();
    });
    open.addEventListener('click', () => {
        const current = store.settings().looksLorebook;
        if (!current) return toast(t`Choose a lorebook first; its entries are edited in SillyTavern's World Info.`, 'info');
        if (!(lorebookNames() ?? [current]).includes(current)) return toast(t`The lorebook "${current}" was not found: it may have been deleted or renamed.`, 'warning');
        openLorebookEditor(current);
    });
    onLorebookChanged(show);
    show(lorebookState());
    return {
        /** After the settings changed under the panel (Reset). */
        refresh: () => {
            show(lorebookState());
            void reloadLorebook();
        },
    };
}
