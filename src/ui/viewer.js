// @ts-check
/**
 * The picture viewer: one picture large (fitted, or at its actual size), the model's prompt
 * and the prompt sent beside it, the actions, and ← / → through every picture of the chat.
 */
import { t, tk, toast } from '../st.js';
import { downloadName, safeImageUrl } from '../format/urls.js';
import { errorText } from '../log.js';
import { button, createOverlay, el } from './overlay.js';

/** @typedef {import('../format/chat-pictures.js').ChatPicture} Picture */

/**
 * What the viewer's buttons do, given the picture shown. They run after the viewer closed.
 * @typedef {object} PictureActions
 * @property {(picture: Picture) => Promise<void>} regenerate
 * @property {(picture: Picture) => Promise<void>} edit
 * @property {(picture: Picture) => Promise<void>} remove
 * @property {(picture: Picture) => Promise<void>} goTo scroll the chat to the picture
 */

/**
 * What the viewer's controls call back into: `openViewer` owns the state they change.
 * @typedef {object} ViewerHandlers
 * @property {(by: number) => void} step move by that many pictures
 * @property {() => void} toggleSize switch between fitted and actual size
 * @property {() => void} close
 * @property {(name: keyof PictureActions) => () => void} run
 * @property {() => void} copy copy the prompt of the picture shown
 */

/**
 * The parts of the viewer that change with the picture shown or the size.
 * @typedef {object} ViewerParts
 * @property {HTMLImageElement} image
 * @property {HTMLElement} count
 * @property {HTMLElement} prompt
 * @property {HTMLElement} sentHead
 * @property {HTMLElement} sent
 * @property {HTMLElement} negativeHead
 * @property {HTMLElement} negative
 * @property {HTMLButtonElement} prev
 * @property {HTMLButtonElement} next
 * @property {HTMLButtonElement} size
 * @property {HTMLButtonElement} close
 * @property {HTMLAnchorElement} download
 */

/**
 * Open the viewer on `pictures[at]`.
 * @param {Picture[]} pictures the chat's pictures, in reading order
 * @param {number} at
 * @param {PictureActions} actions
 * @returns {HTMLDialogElement}
 */
export function openViewer(pictures, at, actions) {
    const overlay = createOverlay('iig-viewer', tk('iig_viewer', 'Picture viewer'));
    const { dialog, body } = overlay;
    let index = Math.max(0, Math.min(at, pictures.length - 1));
    let actual = false;

    const run = (/** @type {keyof PictureActions} */ name) => () => {
        const picture = pictures[index];
        overlay.close();
        void actions[name](picture).catch((error) => toast(errorText(error), 'warning'));
    };
    const parts = buildViewer(body, {
        step: (by) => step(by),
        toggleSize: () => setActual(!actual),
        close: () => overlay.close(),
        run,
        copy: () => void copyText(pictures[index].prompt),
    });

    /** @param {boolean} on */
    function setActual(on) {
        actual = on;
        showSize(dialog, parts.size, on);
    }

    /** @param {number} by */
    function step(by) {
        const to = index + by;
        if (to < 0 || to >= pictures.length) return;
        index = to;
        showPicture(dialog, parts, pictures, index);
        // Keep the focus on the button pressed, unless it just became disabled.
        const pressed = by < 0 ? parts.prev : parts.next;
        if (pressed.disabled) (by < 0 ? parts.next : parts.prev).focus();
    }

    dialog.addEventListener('keydown', (event) => {
        const by = keyStep(event, index, pictures.length);
        if (by === undefined) return;
        step(by);
        event.preventDefault();
    });

    showPicture(dialog, parts, pictures, index);
    overlay.open();
    // The first thing to press: next if there is a next, else close.
    (parts.next.disabled ? parts.close : parts.next).focus();
    return dialog;
}

/**
 * Build the viewer's content into the overlay's body.
 * @param {HTMLElement} body @param {ViewerHandlers} on
 * @returns {ViewerParts}
 */
function buildViewer(body, on) {
    const stage = el('div', 'iig-viewer-stage');
    const image = el('img', 'iig-viewer-image');
    image.decoding = 'async';
    const broken = el('div', 'iig-viewer-broken', tk('iig_viewer_unsafe', 'This picture cannot be shown.'));
    stage.append(image, broken);
    // A click on the picture toggles fit / actual size.
    image.addEventListener('click', () => on.toggleSize());

    const side = el('div', 'iig-viewer-side');
    const count = el('div', 'iig-viewer-count');
    const promptHead = el('div', 'iig-viewer-label', tk('iig_viewer_prompt', 'Prompt written by the model'));
    const prompt = el('p', 'iig-viewer-prompt');
    const sentHead = el('div', 'iig-viewer-label', tk('iig_sent_as', 'Sent to Image Generation as:'));
    const sent = el('p', 'iig-viewer-sent');
    const negativeHead = el('div', 'iig-viewer-label', tk('iig_viewer_negative', 'Negative prompt sent:'));
    const negative = el('p', 'iig-viewer-negative');
    const controls = buildControls(on);

    const nav = el('div', 'iig-viewer-nav');
    nav.append(controls.prev, count, controls.next);
    const tools = el('div', 'iig-viewer-actions');
    tools.append(...controls.tools);
    side.append(nav, promptHead, prompt, sentHead, sent, negativeHead, negative, tools);
    const top = el('div', 'iig-viewer-top');
    top.append(controls.close);
    body.append(top, stage, side);
    const { prev, next, size, close, download } = controls;
    return { image, count, prompt, sentHead, sent, negativeHead, negative, prev, next, size, close, download };
}

/**
 * The viewer's buttons and download link; `tools` are the actions, in the order they are shown.
 * @param {ViewerHandlers} on
 */
function buildControls(on) {
    const prev = button('iig-viewer-prev', 'fa-chevron-left', tk('iig_previous', 'Previous'), () => on.step(-1), { shortcut: '←' });
    const next = button('iig-viewer-next', 'fa-chevron-right', tk('iig_next', 'Next'), () => on.step(1), { shortcut: '→' });
    const size = button('iig-viewer-size', 'fa-expand', tk('iig_actual_size', 'Actual size'), on.toggleSize);
    const close = button('iig-viewer-close', 'fa-xmark', tk('iig_close', 'Close'), on.close, { shortcut: 'Esc' });
    const regenerate = button('iig-viewer-regenerate', 'fa-rotate', tk('iig_regenerate', 'Regenerate'), on.run('regenerate'));
    const edit = button('iig-viewer-edit', 'fa-pen', tk('iig_edit_prompt', 'Edit prompt'), on.run('edit'));
    const remove = button('iig-viewer-delete', 'fa-trash-can', tk('iig_delete_image', 'Delete image'), on.run('remove'));
    const goTo = button('iig-viewer-goto', 'fa-location-arrow', tk('iig_go_to_message', 'Go to message'), on.run('goTo'));
    const copy = button('iig-viewer-copy', 'fa-copy', tk('iig_copy_prompt', 'Copy prompt'), on.copy);
    const download = /** @type {HTMLAnchorElement} */ (el('a', 'menu_button iig-button iig-viewer-download'));
    const downloadIcon = el('i', 'fa-solid fa-download');
    downloadIcon.setAttribute('aria-hidden', 'true');
    download.append(downloadIcon, el('span', '', tk('iig_download', 'Download')));
    const tools = [regenerate, edit, remove, download, copy, goTo, size];
    return { prev, next, size, close, download, tools };
}

/**
 * Show the size button and the dialog as fitted or at actual size.
 * @param {HTMLDialogElement} dialog @param {HTMLButtonElement} size @param {boolean} on
 */
function showSize(dialog, size, on) {
    dialog.classList.toggle('iig-actual', on);
    const label = on ? tk('iig_fit_to_screen', 'Fit to screen') : tk('iig_actual_size', 'Actual size');
    size.title = label;
    /** @type {HTMLElement} */ (size.querySelector('span')).textContent = label;
    size.querySelector('i')?.classList.replace(on ? 'fa-expand' : 'fa-compress', on ? 'fa-compress' : 'fa-expand');
}

/**
 * Show `pictures[index]` and where it is among them.
 * @param {HTMLDialogElement} dialog @param {ViewerParts} parts @param {Picture[]} pictures @param {number} index
 */
function showPicture(dialog, parts, pictures, index) {
    const { image, download, count, prompt, sentHead, sent, prev, next } = parts;
    const picture = pictures[index];
    const url = safeImageUrl(picture.src, location.href);
    dialog.classList.toggle('iig-unsafe', !url);
    if (url) {
        image.src = url;
        download.href = url;
        download.download = downloadName(url);
    } else {
        image.removeAttribute('src');
        download.removeAttribute('href');
    }
    image.alt = picture.prompt;
    count.textContent = `${index + 1} / ${pictures.length}`;
    count.title = `#${picture.messageIndex} ${picture.name}`;
    prompt.textContent = picture.prompt;
    const differs = picture.sent !== picture.prompt;
    sent.textContent = differs ? picture.sent : '';
    sentHead.hidden = sent.hidden = !differs;
    parts.negative.textContent = picture.negative ?? '';
    parts.negativeHead.hidden = parts.negative.hidden = !picture.negative;
    prev.disabled = index === 0;
    next.disabled = index === pictures.length - 1;
    dialog.dataset.index = String(index);
}

/**
 * How far a key moves from `index`, or undefined when the key is not the viewer's.
 * @param {KeyboardEvent} event @param {number} index @param {number} length how many pictures
 * @returns {number | undefined}
 */
function keyStep(event, index, length) {
    const target = /** @type {HTMLElement} */ (event.target);
    // Typing in a field moves its caret, not the viewer.
    if (target.matches?.('input, textarea, select')) return undefined;
    if (event.key === 'ArrowLeft') return -1;
    if (event.key === 'ArrowRight') return 1;
    if (event.key === 'Home') return -index;
    if (event.key === 'End') return length - 1 - index;
    return undefined;
}

/** Copy text to the clipboard, saying whether it worked. @param {string} text */
async function copyText(text) {
    try {
        await navigator.clipboard.writeText(text);
    } catch {
        // Not allowed here (no secure context or no permission): the old way.
        const area = document.createElement('textarea');
        area.value = text;
        area.style.position = 'fixed';
        area.style.opacity = '0';
        // Inside the open dialog: outside it, a modal dialog keeps the text from being selected.
        (document.querySelector('dialog.iig-overlay[open]') ?? document.body).append(area);
        area.select();
        const ok = document.execCommand('copy');
        area.remove();
        if (!ok) return toast(t`The prompt could not be copied. Select it and copy it by hand.`, 'warning');
    }
    toast(t`The prompt was copied to the clipboard.`, 'success');
}
