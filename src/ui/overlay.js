// @ts-check
/**
 * A modal overlay in SillyTavern's theme: a native <dialog> (Esc closes it, focus stays
 * inside and goes back where it was when it closes), closed by a click outside its box too.
 * Everything in it is built with DOM calls and textContent: nothing a model wrote becomes HTML.
 */

/**
 * @param {string} className extra class of the dialog
 * @param {string} label its accessible name
 * @returns {{dialog: HTMLDialogElement, body: HTMLDivElement, open: () => void, close: () => void}}
 */
export function createOverlay(className, label) {
    const dialog = document.createElement('dialog');
    dialog.className = `iig-overlay ${className}`;
    dialog.setAttribute('aria-label', label);
    const body = document.createElement('div');
    body.className = 'iig-overlay-body';
    dialog.append(body);
    // The dialog's own box is its body; a click on the dialog itself is on the backdrop.
    dialog.addEventListener('click', (event) => {
        if (event.target === dialog) dialog.close();
    });
    // It is modal: keys pressed in it are its own. SillyTavern listens on the document (← and →
    // swipe the last reply, Esc stops a generation), so they must not bubble up to there.
    // Esc still closes the dialog: that is its default action, not a listener's.
    dialog.addEventListener('keydown', (event) => event.stopPropagation());
    dialog.addEventListener('keyup', (event) => event.stopPropagation());
    dialog.addEventListener('close', () => dialog.remove());
    return {
        dialog, body,
        open: () => {
            document.body.append(dialog);
            dialog.showModal();
        },
        close: () => dialog.close(),
    };
}

/**
 * An element with a class and, optionally, its text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} className @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
}

/**
 * A themed button with an icon (Font Awesome, as SillyTavern has) and a label.
 * @param {string} className @param {string} icon e.g. 'fa-rotate' @param {string} label
 * @param {() => void} onClick @param {{iconOnly?: boolean, shortcut?: string}} [opts]
 */
export function button(className, icon, label, onClick, opts = {}) {
    const b = el('button', `menu_button iig-button ${className}`);
    b.type = 'button';
    const i = el('i', `fa-solid ${icon}`);
    i.setAttribute('aria-hidden', 'true');
    b.append(i);
    if (opts.iconOnly) b.setAttribute('aria-label', label);
    else b.append(el('span', '', label));
    b.title = opts.shortcut ? `${label} (${opts.shortcut})` : label;
    b.addEventListener('click', (event) => {
        event.stopPropagation();
        onClick();
    });
    return b;
}
