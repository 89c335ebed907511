// @ts-check
/**
 * The URLs of the pictures in a chat, as the viewer and the gallery use them: which may be shown
 * and linked to, and the file name to download one as. Pure: strings in, strings out; no
 * SillyTavern, no DOM.
 */

/**
 * The picture's URL when it is safe to show and to link to, else null. A model can write an
 * image of its own after a tag; `javascript:` and other schemes must never become a link.
 * @param {string} src @param {string} base the page's URL
 * @returns {string | null}
 */
export function safeImageUrl(src, base) {
    if (typeof src !== 'string' || !src.trim()) return null;
    let url;
    try {
        url = new URL(src, base);
    } catch {
        return null;
    }
    if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'blob:') return url.href;
    if (url.protocol === 'data:' && /^data:image\/(png|jpe?g|webp|gif|avif);/i.test(url.href)) return url.href;
    return null;
}

/** The file name to download a picture as. @param {string} url */
export function downloadName(url) {
    let path = url;
    try {
        path = new URL(url).pathname;
    } catch { /* keep it */ }
    let last = path.split('/').pop() ?? '';
    try {
        last = decodeURIComponent(last);
    } catch { /* not encoded */ }
    return /^[^\\/:*?"<>|]{1,200}\.(png|jpe?g|webp|gif|avif)$/i.test(last) ? last : 'inline-image.png';
}
