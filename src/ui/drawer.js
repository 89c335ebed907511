// @ts-check
/**
 * The Inline Images drawer in SillyTavern's Extensions panel: the settings template, its
 * sections, the fields, both preset pickers, the Characters section and the buttons.
 */
import { ctx, t } from '../st.js';
import { log } from '../log.js';
import { bindSections } from './sections.js';
import { bindPanel } from './panel.js';
import { bindPresets } from './presets-panel.js';
import { bindCastPanel } from './cast-panel.js';
import { bindLorePanel } from './lore-panel.js';
import { WRITER_PREDEFINED } from '../prompts/prompt-writer-request.js';

/**
 * @typedef {object} DrawerDeps
 * @property {string} extension 'third-party/<folder>', for SillyTavern's template loader
 * @property {() => import('../types').Settings} settings
 * @property {(next: import('../types').Settings) => void} save
 * @property {() => void} gallery opens the gallery
 * @property {() => void} check runs Check setup
 * @property {() => Promise<boolean>} saveChat saves the open chat through the one write path
 * @property {{today: () => number, onChange: (listener: (count: number) => void) => unknown}} [budget] the daily count of pictures
 */

/** @param {DrawerDeps} deps */
export async function mountDrawer(deps) {
    const html = await ctx().renderExtensionTemplateAsync(deps.extension, 'templates/settings');
    const host = document.getElementById('extensions_settings2') ?? document.getElementById('extensions_settings');
    if (!host) return log.warn('no Extensions panel to put the settings drawer in');
    const root = document.createElement('div');
    root.innerHTML = html;
    host.append(root);
    bindSections(root);
    const { settings, save } = deps;
    const panel = bindPanel(root, { get: settings, save });
    root.querySelector('#inline_images_gallery')?.addEventListener('click', deps.gallery);
    root.querySelector('#inline_images_check')?.addEventListener('click', deps.check);
    bindProfiles(root);
    if (deps.budget) bindToday(root, deps.budget);
    const presets = bindPresets(root, { get: () => settings().presets, save: (store) => save({ ...settings(), presets: store }) }, {
        negatives: { get: () => settings().presetNegatives, save: (negatives) => save({ ...settings(), presetNegatives: negatives }) },
    });
    const writerPresets = bindPresets(root, { get: () => settings().writerPresets, save: (store) => save({ ...settings(), writerPresets: store }) },
        { prefix: 'inline_images_writer_preset', builtins: WRITER_PREDEFINED });
    bindCastPanel(root, { presets: () => settings().presets, saveChat: deps.saveChat });
    const lore = bindLorePanel(root, { settings, save });
    // Reset keeps presets but may change what the panel shows; keep both parts in step.
    root.querySelector('#inline_images_reset')?.addEventListener('click', () => {
        presets.refresh();
        writerPresets.refresh();
        panel.refresh();
        lore.refresh();
    });
}

/**
 * The "N pictures today" line beside Pictures per day: it follows every request counted.
 * @param {HTMLElement} root @param {NonNullable<DrawerDeps['budget']>} budget
 */
function bindToday(root, budget) {
    const line = root.querySelector('#inline_images_today');
    if (!line) return;
    const show = () => { line.textContent = t`${budget.today()} pictures today (all chats)`; };
    budget.onChange(show);
    // A new day begins at midnight without a request to say so: read it again when the drawer opens.
    root.querySelector('.inline-drawer-toggle')?.addEventListener('click', show);
    show();
}

/** The Connection Manager's profiles, offered for the prompt writer. @param {HTMLElement} root */
function bindProfiles(root) {
    const profiles = root.querySelector('#inline_images_profiles');
    const list = () => profiles?.replaceChildren(...(ctx().extensionSettings?.connectionManager?.profiles ?? [])
        .map((/** @type {any} */ p) => new Option(String(p?.name ?? ''))));
    list();
    root.querySelector('#inline_images_writerProfile')?.addEventListener('focus', list);
}
