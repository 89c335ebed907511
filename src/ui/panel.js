// @ts-check
/**
 * The settings drawer, bound from the field table in settings.js with one helper: the
 * controls show the stored values, every change is validated like a load, then saved.
 * Values are never read back out of the DOM except from the control that changed.
 */
import { FIELDS, validateField, defaultSettings } from '../settings.js';

/**
 * @param {HTMLElement} root the rendered template
 * @param {{get: () => import('../types').Settings, save: (s: import('../types').Settings) => void}} store
 */
export function bindPanel(root, store) {
    /** @type {NodeListOf<HTMLInputElement|HTMLSelectElement>} */
    const controls = root.querySelectorAll('[data-iig-field]');

    const show = () => {
        const s = /** @type {Record<string, any>} */ (store.get());
        for (const control of controls) {
            const key = /** @type {keyof typeof FIELDS} */ (control.dataset.iigField);
            if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = Boolean(s[key]);
            else control.value = String(s[key]);
        }
    };

    for (const control of controls) {
        const key = /** @type {keyof typeof FIELDS} */ (control.dataset.iigField);
        const spec = FIELDS[key];
        if (!spec) continue;
        if (control instanceof HTMLSelectElement && spec.values) {
            control.replaceChildren(...spec.values.map((v) => new Option(v, v)));
        }
        if (control instanceof HTMLInputElement && control.type === 'number') {
            if (spec.min !== undefined) control.min = String(spec.min);
            if (spec.max !== undefined) control.max = String(spec.max);
        }
        control.addEventListener('change', () => {
            const raw = control instanceof HTMLInputElement && control.type === 'checkbox' ? control.checked : control.value;
            const { value } = validateField(spec, raw);
            store.save({ ...store.get(), [key]: value });
            show(); // a clamped value shows as stored
        });
    }

    root.querySelector('#inline_images_reset')?.addEventListener('click', () => {
        // Custom presets are the user's writing: reset keeps them (and the selection).
        const { presets, writerPresets, presetNegatives } = store.get();
        store.save({ ...store.get(), ...defaultSettings(), presets, writerPresets, presetNegatives });
        show();
    });
    show();
    return { refresh: show };
}
