// @ts-check
/**
 * The gallery: every picture of the open chat in a grid, grouped by message in story order.
 * A thumbnail's file is fetched only when it scrolls into view (an IntersectionObserver on the
 * grid's scroll box; the browser's own lazy loading fetches screens ahead), and groups off
 * screen are not laid out (`content-visibility`), so a chat of thousands opens at once.
 */
import { t, tk } from '../st.js';
import { groupByMessage } from '../format/chat-pictures.js';
import { safeImageUrl } from '../format/urls.js';
import { button, createOverlay, el } from './overlay.js';
import { openViewer } from './viewer.js';

/** @typedef {import('../format/chat-pictures.js').ChatPicture} Picture */

/**
 * @param {Picture[]} pictures the chat's pictures, in reading order
 * @param {import('./viewer.js').PictureActions} actions
 * @param {() => void} [exportStory] the Export button (the chat's story with its pictures, as a file)
 * @returns {HTMLDialogElement}
 */
export function openGallery(pictures, actions, exportStory) {
    const overlay = createOverlay('iig-gallery', tk('iig_gallery', 'Pictures of this chat'));
    const { dialog, body } = overlay;
    const head = el('div', 'iig-gallery-head');
    const title = el('h3', 'iig-gallery-title', tk('iig_gallery', 'Pictures of this chat'));
    const count = el('span', 'iig-gallery-count', t`${pictures.length} picture(s) in this chat`);
    const close = button('iig-gallery-close', 'fa-xmark', tk('iig_close', 'Close'), () => overlay.close(), { iconOnly: true, shortcut: 'Esc' });
    head.append(title, count);
    if (exportStory) {
        head.append(button('iig-gallery-export', 'fa-file-export', tk('iig_export', 'Export'), () => {
            overlay.close();
            exportStory();
        }));
    }
    head.append(close);
    const groups = el('div', 'iig-gallery-groups');
    body.append(head, groups);
    const load = thumbnailLoader(groups);
    dialog.addEventListener('close', () => load.stop());
    if (!pictures.length) {
        groups.append(el('p', 'iig-gallery-empty', t`No pictures in this chat yet. They appear here as replies are illustrated.`));
    }
    for (const group of groupByMessage(pictures)) {
        const section = el('section', 'iig-gallery-group');
        section.dataset.mesid = String(group.messageIndex);
        const groupHead = el('div', 'iig-gallery-group-head');
        const goTo = button('iig-gallery-goto', 'fa-location-arrow', tk('iig_go_to_message', 'Go to message'), () => {
            overlay.close();
            void actions.goTo(group.pictures[0].picture);
        });
        groupHead.append(el('span', 'iig-gallery-message', `#${group.messageIndex} ${group.name}`), goTo);
        const grid = el('div', 'iig-gallery-grid');
        for (const { picture, at } of group.pictures) {
            const thumb = el('button', 'iig-gallery-thumb');
            thumb.type = 'button';
            thumb.title = picture.prompt;
            thumb.setAttribute('aria-label', picture.prompt);
            thumb.dataset.at = String(at);
            const url = safeImageUrl(picture.src, location.href);
            const image = el('img', 'iig-gallery-image');
            image.loading = 'lazy';
            image.decoding = 'async';
            image.alt = picture.prompt;
            thumb.append(image);
            if (url) load.when(thumb, () => { image.src = url; });
            thumb.addEventListener('click', () => openViewer(pictures, at, actions));
            grid.append(thumb);
        }
        section.append(groupHead, grid);
        groups.append(section);
    }
    overlay.open();
    (/** @type {HTMLElement} */ (dialog.querySelector('.iig-gallery-thumb')) ?? close).focus();
    return dialog;
}

/**
 * Runs each thumbnail's `show` once the thumbnail comes within a row of the scroll box's view.
 * @param {HTMLElement} root the scroll box
 */
function thumbnailLoader(root) {
    /** @type {WeakMap<Element, () => void>} */
    const waiting = new WeakMap();
    const observer = new IntersectionObserver((entries) => {
        for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            observer.unobserve(entry.target);
            waiting.get(entry.target)?.();
            waiting.delete(entry.target);
        }
    }, { root, rootMargin: '100px 0px' });
    return {
        /** @param {Element} thumb @param {() => void} show */
        when(thumb, show) {
            waiting.set(thumb, show);
            observer.observe(thumb);
        },
        stop: () => observer.disconnect(),
    };
}

/**
 * An item of ours in the wand menu (SillyTavern shows the menu's button once it has items).
 * @param {{id: string, icon: string, key: string, label: string}} item label: translated already; key: its i18n key
 * @param {() => void} onClick
 */
export function addWandItem({ id, icon, key, label }, onClick) {
    const menu = document.getElementById('extensionsMenu');
    if (!menu || document.getElementById(id)) return;
    const entry = el('div', 'list-group-item flex-container flexGap5 interactable');
    entry.id = id;
    entry.tabIndex = 0;
    const text = el('span', '', label);
    text.setAttribute('data-i18n', key);
    entry.append(el('div', `fa-solid ${icon} extensionsMenuExtensionButton`), text);
    entry.addEventListener('click', onClick);
    menu.append(entry);
}
