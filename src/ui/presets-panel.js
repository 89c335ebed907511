// @ts-check
/**
 * The preset part of the drawer: choose, preview, edit (custom only), Save, Save As, Delete.
 * All rules (read-only built-ins, name clashes) live in prompts/presets.js; this only asks the
 * user and shows the outcome. The meta-prompt's presets also have a negative prompt: shown and
 * copied by Save As like the text, read-only for a built-in, kept beside the store for a custom one.
 */
import { PREDEFINED, listPresets, getPreset, selectPreset, savePreset, saveAsPreset, deletePreset, presetNegative, PresetError } from '../prompts/presets.js';
import { withPresetNegative } from '../prompts/negative.js';
import { ctx, toast, t, tk } from '../st.js';
import { escapeAttr } from '../format/html.js';


/** A refusal in the user's language. @param {PresetError} error */
const explain = (error) => t(error.msg.strings, ...error.msg.values);

/** @typedef {import('../types').PresetStore} PresetStore */
/** @typedef {{get: () => PresetStore, save: (s: PresetStore) => void}} StoreAccess */
/** @typedef {{get: () => Record<string, string>, save: (n: Record<string, string>) => void}} NegativesAccess */

/**
 * One bound preset part of the drawer: its store, its built-ins, its controls, and how to
 * apply a store operation and show the result.
 * @typedef {object} PresetBinding
 * @property {StoreAccess} store
 * @property {import('../prompts/presets.js').Builtins} builtins
 * @property {HTMLSelectElement} select
 * @property {HTMLTextAreaElement} text
 * @property {HTMLTextAreaElement | null} negative the negative prompt's box (null: this kind has none)
 * @property {NegativesAccess | null} negatives
 * @property {(name: string, text: string) => void} keepNegative store a custom preset's negative ('' forgets it)
 * @property {HTMLElement} description
 * @property {HTMLElement} saveButton
 * @property {HTMLElement} deleteButton
 * @property {() => void} show
 * @property {(op: () => PresetStore) => boolean} attempt
 */

/**
 * @param {HTMLElement} root
 * @param {StoreAccess} store
 * @param {{prefix?: string, builtins?: import('../prompts/presets.js').Builtins, negatives?: NegativesAccess}} [kind] the controls' id prefix
 *   (`inline_images_preset` for the meta-prompt, `inline_images_writer_preset` for the prompt writer), its built-ins,
 *   and where custom presets' negative prompts are kept (with a `<prefix>_negative` box in the drawer)
 */
export function bindPresets(root, store, kind = {}) {
    const prefix = kind.prefix ?? 'inline_images_preset';
    /** @type {PresetBinding} */
    const binding = {
        store,
        builtins: kind.builtins ?? PREDEFINED,
        select: /** @type {HTMLSelectElement} */ (root.querySelector(`#${prefix}`)),
        text: /** @type {HTMLTextAreaElement} */ (root.querySelector(`#${prefix}_text`)),
        negative: kind.negatives ? /** @type {HTMLTextAreaElement | null} */ (root.querySelector(`#${prefix}_negative`)) : null,
        negatives: kind.negatives ?? null,
        keepNegative: (name, value) => {
            if (binding.negatives) binding.negatives.save(withPresetNegative(binding.negatives.get(), name, value));
        },
        description: /** @type {HTMLElement} */ (root.querySelector(`#${prefix}_description`)),
        saveButton: /** @type {HTMLElement} */ (root.querySelector(`#${prefix}_save`)),
        deleteButton: /** @type {HTMLElement} */ (root.querySelector(`#${prefix}_delete`)),
        show: () => showStore(binding),
        attempt: (op) => applyOp(binding, op),
    };
    const { select, text, saveButton, deleteButton, builtins, show } = binding;

    select.addEventListener('change', () => binding.attempt(() => selectPreset(store.get(), select.value, builtins)));

    saveButton.addEventListener('click', () => {
        const name = select.value;
        // Read first: a successful save redraws the boxes from the store.
        const negativeText = binding.negative?.value ?? '';
        if (!binding.attempt(() => savePreset(store.get(), name, text.value, builtins))) return;
        binding.keepNegative(name, negativeText);
        show();
        toast(t`The preset has been saved.`, 'success');
    });

    root.querySelector(`#${prefix}_saveas`)?.addEventListener('click', () => askSaveAs(binding));

    deleteButton.addEventListener('click', () => askDelete(binding));

    show();
    return { refresh: show };
}

/**
 * Show the store's presets, with the selected one's text and description.
 * @param {PresetBinding} binding
 */
function showStore({ store, builtins, select, text, negative, negatives, description, saveButton, deleteButton }) {
    const presets = listPresets(store.get(), builtins);
    select.replaceChildren(...presets.map((p) => new Option(p.readOnly ? `${p.name} ${tk('iig_built_in', '(built-in)')}` : p.name, p.name)));
    const current = getPreset(store.get(), store.get().selected, builtins) ?? presets[0];
    select.value = current.name;
    text.value = current.text;
    text.readOnly = current.readOnly;
    if (negative && negatives) {
        negative.value = presetNegative(store.get(), current.name, negatives.get(), builtins);
        negative.readOnly = current.readOnly;
    }
    description.textContent = current.descriptionKey && current.description
        ? tk(current.descriptionKey, current.description) : current.description ?? '';
    // Dimmed, not SillyTavern's `disabled` (which swallows clicks): a click on a built-in
    // preset's Save or Delete explains why it cannot be done.
    saveButton.classList.toggle('iig-dimmed', current.readOnly);
    deleteButton.classList.toggle('iig-dimmed', current.readOnly);
}

/**
 * Apply a store operation; a refusal becomes a toast.
 * @param {PresetBinding} binding @param {() => PresetStore} op
 */
function applyOp(binding, op) {
    try {
        binding.store.save(op());
        binding.show();
        return true;
    } catch (error) {
        if (!(error instanceof PresetError)) throw error;
        toast(explain(error), 'warning');
        return false;
    }
}

/**
 * Save As: ask for a name, and whether to overwrite a preset that has it.
 * @param {PresetBinding} binding
 */
async function askSaveAs({ store, builtins, text, negative, show, attempt, keepNegative }) {
    const c = ctx();
    // The boxes as they are now: a popup below lets the drawer change under it.
    const negativeText = negative?.value ?? '';
    const name = await c.callGenericPopup(t`Name of the new preset:`, c.POPUP_TYPE.INPUT, '');
    if (typeof name !== 'string' || !name.trim()) return;
    const copy = () => keepNegative(name.trim(), negativeText);
    try {
        store.save(saveAsPreset(store.get(), name, text.value, {}, builtins));
        copy();
    } catch (error) {
        if (!(error instanceof PresetError) || error.code !== 'exists') {
            if (error instanceof PresetError) return toast(explain(error), 'warning');
            throw error;
        }
        const sure = await c.callGenericPopup(t`A preset named "${escapeAttr(name.trim())}" exists. Overwrite it?`, c.POPUP_TYPE.CONFIRM);
        if (sure !== c.POPUP_RESULT.AFFIRMATIVE) return;
        if (!attempt(() => saveAsPreset(store.get(), name, text.value, { overwrite: true }, builtins))) return;
        copy();
    }
    show();
    toast(t`The preset has been saved.`, 'success');
}

/**
 * Delete the selected preset once the user confirms. A built-in one goes straight to the
 * store, whose refusal says why it cannot be deleted.
 * @param {PresetBinding} binding
 */
async function askDelete({ store, builtins, select, attempt, keepNegative }) {
    const c = ctx();
    const name = select.value;
    if (getPreset(store.get(), name, builtins)?.readOnly) return attempt(() => deletePreset(store.get(), name, builtins));
    const sure = await c.callGenericPopup(t`Do you want to delete the preset "${escapeAttr(name)}"?`, c.POPUP_TYPE.CONFIRM);
    // Its negative goes with it, so a new preset of that name starts without one.
    if (sure === c.POPUP_RESULT.AFFIRMATIVE && attempt(() => deletePreset(store.get(), name, builtins))) keepNegative(name, '');
}
