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

    const stage = el('div', 'iig-viewer-stage');
    const image = el('img', 'iig-viewer-image');
    image.decoding = 'async';
    const broken = el('div', 'iig-viewer-broken', tk('iig_viewer_unsafe', 'This picture cannot be shown.'));
    stage.append(image, broken);
    // A click on the picture toggles fit / actual size.
    image.addEventListener('click', () => setActual(!actual));

    const side = el('div', 'iig-viewer-side');
    const count = el('div', 'iig-viewer-count');
    const promptHead = el('div', 'iig-viewer-label', tk('iig_viewer_prompt', 'Prompt written by the model'));
    const prompt = el('p', 'iig-viewer-prompt');
    const sentHead = el('div', 'iig-viewer-label', tk('iig_sent_as', 'Sent to Image Generation as:'));
    const sent = el('p', 'iig-viewer-sent');

    const prev = button('iig-viewer-prev', 'fa-chevron-left', tk('iig_previous', 'Previous'), () => step(-1), { shortcut: '←' });
    const next = button('iig-viewer-next', 'fa-chevron-right', tk('iig_next', 'Next'), () => step(1), { shortcut: '→' });
    const size = button('iig-viewer-size', 'fa-expand', tk('iig_actual_size', 'Actual size'), () => setActual(!actual));
    const close = button('iig-viewer-close', 'fa-xmark', tk('iig_close', 'Close'), () => overlay.close(), { shortcut: 'Esc' });
    const run = (/** @type {keyof PictureActions} */ name) => () => {
        const picture = pictures[index];
        overlay.close();
        void actions[name](picture).catch((error) => toast(errorText(error), 'warning'));
    };
    const regenerate = button('iig-viewer-regenerate', 'fa-rotate', tk('iig_regenerate', 'Regenerate'), run('regenerate'));
    const edit = button('iig-viewer-edit', 'fa-pen', tk('iig_edit_prompt', 'Edit prompt'), run('edit'));
    const remove = button('iig-viewer-delete', 'fa-trash-can', tk('iig_delete_image', 'Delete image'), run('remove'));
    const goTo = button('iig-viewer-goto', 'fa-location-arrow', tk('iig_go_to_message', 'Go to message'), run('goTo'));
    const copy = button('iig-viewer-copy', 'fa-copy', tk('iig_copy_prompt', 'Copy prompt'), () => void copyText(pictures[index].prompt));
    const download = /** @type {HTMLAnchorElement} */ (el('a', 'menu_button iig-button iig-viewer-download'));
    const downloadIcon = el('i', 'fa-solid fa-download');
    downloadIcon.setAttribute('aria-hidden', 'true');
    download.append(downloadIcon, el('span', '', tk('iig_download', 'Download')));

    const nav = el('div', 'iig-viewer-nav');
    nav.append(prev, count, next);
    const tools = el('div', 'iig-viewer-actions');
    tools.append(regenerate, edit, remove, download, copy, goTo, size);
    side.append(nav, promptHead, prompt, sentHead, sent, tools);
    const top = el('div', 'iig-viewer-top');
    top.append(close);
    body.append(top, stage, side);

    /** @param {boolean} on */
    function setActual(on) {
        actual = on;
        dialog.classList.toggle('iig-actual', on);
        const label = on ? tk('iig_fit_to_screen', 'Fit to screen') : tk('iig_actual_size', 'Actual size');
        size.title = label;
        /** @type {HTMLElement} */ (size.querySelector('span')).textContent = label;
        size.querySelector('i')?.classList.replace(on ? 'fa-expand' : 'fa-compress', on ? 'fa-compress' : 'fa-expand');
    }

    function show() {
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
        prev.disabled = index === 0;
        next.disabled = index === pictures.length - 1;
        dialog.dataset.index = String(index);
    }

    /** @param {number} by */
    function step(by) {
        const to = index + by;
        if (to < 0 || to >= pictures.length) return;
        index = to;
        show();
        // Keep the focus on the button pressed, unless it just became disabled.
        const pressed = by < 0 ? prev : next;
        if (pressed.disabled) (by < 0 ? next : prev).focus();
    }

    dialog.addEventListener('keydown', (event) => {
        const target = /** @type {HTMLElement} */ (event.target);
        if (target.matches?.('input, textarea, select')) return;
        if (event.key === 'ArrowLeft') step(-1);
        else if (event.key === 'ArrowRight') step(1);
        else if (event.key === 'Home') step(-index);
        else if (event.key === 'End') step(pictures.length - 1 - index);
        else return;
        event.preventDefault();
    });

    show();
    overlay.open();
    // The first thing to press: next if there is a next, else close.
    (next.disabled ? close : next).focus();
    return dialog;
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
