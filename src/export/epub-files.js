// @ts-check
/**
 * The text files of a chat exported as an EPUB 3 book: container, package document, navigation,
 * title page, chapters and style sheet. The shell adds the image files and zips it all (the
 * `mimetype` entry first and stored). Written to pass epubcheck (EPUB 3.2) with no errors and no
 * warnings. Pure: plain objects in, strings out; no SillyTavern, no DOM.
 */
import { escapeAttr } from '../format/html.js';
import { xmlSafe } from '../format/text.js';

/**
 * escapeAttr escapes all five XML specials (`&#39;` is fine in XML), in text and in attributes;
 * a control character a name or title may hold is not XML at all.
 * @param {unknown} text
 */
const xml = (text) => escapeAttr(xmlSafe(text));

/**
 * File extensions by media type. WebP is here for naming only: it is no core media type in
 * EPUB 3.2, so epubcheck rejects it in a book.
 * @type {Record<string, string>}
 */
const EXTENSIONS = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'image/svg+xml': 'svg' };

/**
 * An image's type from its first bytes, not from its name or the server's word: the file on
 * disk is what the reader will have to decode.
 * @param {Uint8Array} bytes
 * @returns {'image/png'|'image/jpeg'|'image/gif'|'image/webp'|null}
 */
export function mediaTypeOf(bytes) {
    if (!bytes || typeof bytes.length !== 'number') return null;
    /** @param {number} at @param {number[]} sig */
    const has = (at, sig) => bytes.length >= at + sig.length && sig.every((b, k) => bytes[at + k] === b);
    /** @param {number} at @param {string} s */
    const ascii = (at, s) => has(at, Array.from(s, (c) => c.charCodeAt(0)));
    if (has(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
    if (has(0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
    if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'image/gif';
    if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
    return null;
}

/**
 * The file extension for a media type; 'bin' for one we do not know, so a name is never empty.
 * @param {string} mediaType
 * @returns {string}
 */
export function extensionOf(mediaType) {
    return Object.prototype.hasOwnProperty.call(EXTENSIONS, mediaType) ? EXTENSIONS[mediaType] : 'bin';
}

/**
 * A path inside the book as a URL reference: a space or `#` in a file name would otherwise be
 * read as a broken reference or a fragment.
 * @param {string} path
 */
function href(path) {
    return xml(path.split('/').map(encodeURIComponent).join('/'));
}

/**
 * A language tag epubcheck accepts (it checks dc:language is well-formed BCP 47); anything else
 * falls back to English rather than failing the book.
 * @param {string} lang
 */
function languageOf(lang) {
    const l = String(lang ?? '').trim();
    return /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(l) ? l : 'en';
}

/**
 * dcterms:modified must be CCYY-MM-DDThh:mm:ssZ exactly; a time with milliseconds (what
 * toISOString gives) is trimmed, and anything unreadable becomes the epoch rather than an error.
 * @param {string} modified
 */
function modifiedOf(modified) {
    const s = String(modified ?? '');
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s)) return s;
    const t = Date.parse(s);
    return new Date(Number.isNaN(t) ? 0 : t).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * An XHTML content document. An empty <title> draws an epubcheck warning, so the caller always
 * passes a non-empty one.
 * @param {string} lang @param {string} title @param {string} body @param {string} [extraHead]
 */
function xhtml(lang, title, body, extraHead = '') {
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        + `<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="${xml(lang)}" xml:lang="${xml(lang)}">\n`
        + `<head>\n<meta charset="UTF-8"/>\n<title>${xml(title)}</title>\n`
        + `<link rel="stylesheet" type="text/css" href="style.css"/>\n${extraHead}</head>\n`
        + `<body>\n${body}\n</body>\n</html>\n`;
}

const CONTAINER = '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
    + '<rootfiles>\n<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>\n</rootfiles>\n'
    + '</container>\n';

const STYLE = `body { font-family: Georgia, "Times New Roman", serif; line-height: 1.5; margin: 0 5%; }
h1 { font-weight: normal; text-align: center; margin: 1.5em 0 1em; }
h2.speaker { font-size: 0.8em; font-weight: normal; letter-spacing: 0.08em; text-transform: uppercase; color: #666; margin: 1.5em 0 0.3em; }
section.user { border-left: 2px solid #ccc; padding-left: 0.8em; }
section.user h2.speaker { font-style: italic; text-transform: none; letter-spacing: normal; }
p { margin: 0 0 0.8em; }
q { quotes: none; }
figure { margin: 1.2em 0; text-align: center; page-break-inside: avoid; break-inside: avoid; }
img { max-width: 100%; height: auto; }
figcaption { font-size: 0.8em; color: #666; margin-top: 0.4em; }
.missing-picture { font-style: italic; color: #666; text-align: center; }
.title-page { text-align: center; margin-top: 20%; }
.title-page h1 { font-size: 2em; }
.subtitle { font-style: italic; color: #666; }
.cover { margin: 2em 0; }
nav ol { list-style: none; padding: 0; }
`;

/**
 * @typedef {object} EpubBook
 * @property {string} id a unique id (the shell passes 'urn:uuid:...')
 * @property {string} title
 * @property {string} [author] dc:creator (omitted when empty)
 * @property {string} lang
 * @property {string} modified ISO time without milliseconds, e.g. '2026-12-03T08:00:00Z'
 * @property {string} subtitle shown on the title page
 * @property {Array<{title: string, body: string}>} chapters body: well-formed XHTML fragment
 * @property {Array<{path: string, mediaType: string}>} images paths relative to OEBPS, e.g.
 *   'images/picture-0.png'; mediaType 'image/png' | 'image/jpeg' | 'image/gif' | 'image/svg+xml'
 *   (a WebP picture must be converted first: epubcheck rejects it without a fallback, MED-003)
 * @property {string} [cover] the path (one of images) of the cover picture
 */

/**
 * The package document: what the book is, what files it has, and the reading order.
 * @param {EpubBook} book @param {string} title @param {string} lang @param {string[]} chapterTitles
 */
function contentOpf(book, title, lang, chapterTitles) {
    const author = String(book.author ?? '').trim();
    const images = (book.images ?? []).map((image, k) => {
        const cover = book.cover && image.path === book.cover ? ' properties="cover-image"' : '';
        return `<item id="img-${k}" href="${href(image.path)}" media-type="${xml(image.mediaType)}"${cover}/>`;
    });
    const chapterItems = chapterTitles.map((_, k) => `<item id="chapter-${k + 1}" href="chapter-${k + 1}.xhtml" media-type="application/xhtml+xml"/>`);
    const spine = ['<itemref idref="title"/>', ...chapterTitles.map((_, k) => `<itemref idref="chapter-${k + 1}"/>`)];
    return '<?xml version="1.0" encoding="UTF-8"?>\n'
        + '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id">\n'
        + '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        + `<dc:identifier id="book-id">${xml(book.id)}</dc:identifier>\n`
        + `<dc:title>${xml(title)}</dc:title>\n`
        + `<dc:language>${xml(lang)}</dc:language>\n`
        + (author ? `<dc:creator>${xml(author)}</dc:creator>\n` : '')
        + `<meta property="dcterms:modified">${modifiedOf(book.modified)}</meta>\n`
        + '</metadata>\n<manifest>\n'
        + '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>\n'
        + '<item id="title" href="title.xhtml" media-type="application/xhtml+xml"/>\n'
        + [...chapterItems, '<item id="css" href="style.css" media-type="text/css"/>', ...images].join('\n')
        + '\n</manifest>\n<spine>\n' + spine.join('\n') + '\n</spine>\n</package>\n';
}

/** @param {string} title @param {string} lang @param {string[]} chapterTitles */
function navXhtml(title, lang, chapterTitles) {
    const items = [`<li><a href="title.xhtml">${xml(title)}</a></li>`,
        ...chapterTitles.map((t, k) => `<li><a href="chapter-${k + 1}.xhtml">${xml(t)}</a></li>`)];
    const body = `<nav epub:type="toc" id="toc">\n<h1>${xml(title)}</h1>\n<ol>\n${items.join('\n')}\n</ol>\n</nav>`;
    return xhtml(lang, title, body);
}

/** @param {EpubBook} book @param {string} title @param {string} lang */
function titleXhtml(book, title, lang) {
    const cover = book.cover && (book.images ?? []).some((i) => i.path === book.cover)
        ? `\n<div class="cover"><img src="${href(book.cover)}" alt="${xml(title)}"/></div>` : '';
    const subtitle = book.subtitle ? `\n<p class="subtitle">${xml(book.subtitle)}</p>` : '';
    return xhtml(lang, title, `<section class="title-page" epub:type="titlepage">\n<h1>${xml(title)}</h1>${subtitle}${cover}\n</section>`);
}

/**
 * Every text file of the book, with its path in the zip.
 * @param {EpubBook} book
 * @returns {Array<{path: string, text: string}>} 'mimetype' first, then META-INF/container.xml,
 *   OEBPS/content.opf, OEBPS/nav.xhtml, OEBPS/title.xhtml, OEBPS/chapter-N.xhtml (N from 1),
 *   OEBPS/style.css
 */
export function epubFiles(book) {
    // Empty titles would make empty <title> and nav entries, which epubcheck reports.
    const title = String(book.title ?? '').trim() || 'Untitled';
    const lang = languageOf(book.lang);
    const chapterList = book.chapters ?? [];
    const chapterTitles = chapterList.map((c, k) => String(c.title ?? '').trim() || `Chapter ${k + 1}`);
    const chapterFiles = chapterList.map((c, k) => ({
        path: `OEBPS/chapter-${k + 1}.xhtml`,
        text: xhtml(lang, chapterTitles[k], `<section class="chapter">\n<h1>${xml(chapterTitles[k])}</h1>\n${c.body ?? ''}\n</section>`),
    }));
    return [
        { path: 'mimetype', text: 'application/epub+zip' },
        { path: 'META-INF/container.xml', text: CONTAINER },
        { path: 'OEBPS/content.opf', text: contentOpf(book, title, lang, chapterTitles) },
        { path: 'OEBPS/nav.xhtml', text: navXhtml(title, lang, chapterTitles) },
        { path: 'OEBPS/title.xhtml', text: titleXhtml(book, title, lang) },
        ...chapterFiles,
        { path: 'OEBPS/style.css', text: STYLE },
    ];
}
