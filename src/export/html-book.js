// @ts-check
/**
 * A chat exported as one self-contained HTML file, a book to read in any browser or to print to
 * PDF. The shell passes each message body already sanitised and the pictures as data: URLs; this
 * file only lays them out. Its Content-Security-Policy forbids every script and every fetch, so
 * the file stays inert wherever it is opened. Pure: strings and plain objects in, strings out;
 * no SillyTavern, no DOM.
 */
import { escapeAttr } from '../format/html.js';
import { xmlSafe } from '../format/text.js';

/** Escaped, and without what neither an HTML page nor a book's XHTML may hold. @param {unknown} text */
const safe = (text) => escapeAttr(xmlSafe(text));

/**
 * First in the head, so it is in force before anything else is read. `frame-ancestors` would be
 * ignored in a meta CSP (browsers warn), so it is not given. Written as is: it has no `"`.
 */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'";

/** The calm reading layout: one centred column, light by default, dark on request, clean in print. */
const STYLE = `
:root { color-scheme: light dark; --ink: #2b2621; --muted: #7a7066; --paper: #fbf8f2; --rule: #d9cfc2; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6dfd3; --muted: #a0968a; --paper: #1d1b18; --rule: #4a443c; }
}
html { background: var(--paper); color: var(--ink); }
body {
  max-width: 38em; margin: 0 auto; padding: 3em 1.25em 5em;
  font-family: Georgia, "Iowan Old Style", "Palatino Linotype", Palatino, "Times New Roman", serif;
  font-size: 1.125rem; line-height: 1.7; overflow-wrap: break-word;
}
header.book { text-align: center; margin-bottom: 3em; }
header.book h1 { font-size: 2.2em; line-height: 1.2; margin: 0 0 .3em; font-weight: normal; }
header.book .subtitle { color: var(--muted); font-style: italic; margin: 0; }
section.message { margin: 0 0 2.2em; }
h2.speaker {
  font-size: .8em; font-weight: normal; letter-spacing: .08em; text-transform: uppercase;
  color: var(--muted); margin: 0 0 .4em;
}
section.message.user { border-left: 2px solid var(--rule); padding-left: 1em; }
section.message.user h2.speaker { font-style: italic; text-transform: none; letter-spacing: normal; }
p { margin: 0 0 1em; }
/* SillyTavern keeps the quotation marks inside its <q>: the browser must not add its own. */
q { quotes: none; }
figure.picture { margin: 1.6em auto; text-align: center; }
figure.picture img, section.message img { display: block; max-width: 100%; height: auto; margin: 0 auto; border-radius: 3px; }
figure.picture figcaption { font-size: .8em; color: var(--muted); margin-top: .5em; line-height: 1.4; }
.missing-picture { color: var(--muted); font-style: italic; text-align: center; font-size: .9em; }
blockquote { margin: 1em 0; padding-left: 1em; border-left: 2px solid var(--rule); color: var(--muted); }
hr { border: 0; border-top: 1px solid var(--rule); margin: 2em auto; width: 40%; }
pre, code { font-size: .9em; white-space: pre-wrap; }
@page { margin: 2cm 2.2cm; }
@media print {
  html, body { background: none; color: #000; }
  body { max-width: none; padding: 0; font-size: 11.5pt; }
  header.book { margin-bottom: 2em; }
  h2.speaker, header.book .subtitle, figure.picture figcaption, .missing-picture, blockquote { color: #444; }
  section.message.user { border-left-color: #999; }
  figure.picture { break-inside: avoid; page-break-inside: avoid; }
  figure.picture img { max-height: 22cm; width: auto; }
  h2.speaker { break-after: avoid; page-break-after: avoid; }
}
`;

/**
 * A picture of the book. Every attribute is escaped: the prompt is model output. `inline`: it
 * stands inside a line of text (a figure may not stand inside a paragraph), so it gets no
 * caption; its prompt is still its alternative text.
 * @param {{src: string, prompt: string, caption?: boolean, inline?: boolean}} picture
 * @returns {string}
 */
export function figureHtml({ src, prompt, caption, inline }) {
    const p = safe(prompt);
    const image = `<img src="${safe(src)}" alt="${p}">`;
    if (inline) return `<span class="picture">${image}</span>`;
    const figcaption = caption ? `<figcaption>${p}</figcaption>` : '';
    return `<figure class="picture">${image}${figcaption}</figure>`;
}

/**
 * What stands where a picture was whose file is gone, so the reader knows something was there.
 * @param {string} prompt
 * @param {string} [label] the shell may pass it translated
 * @param {boolean} [inline] inside a line of text: a span, not a paragraph
 * @returns {string}
 */
export function missingPictureHtml(prompt, label = 'Picture not found', inline = false) {
    const element = inline ? 'span' : 'p';
    return `<${element} class="missing-picture">[${safe(label)}: ${safe(prompt)}]</${element}>`;
}

/**
 * @param {{name: string, isUser: boolean, html: string}} message
 * @returns {string}
 */
function messageHtml(message) {
    const who = message.isUser ? 'user' : 'character';
    return `<section class="message ${who}">\n<h2 class="speaker">${safe(message.name)}</h2>\n${message.html}\n</section>\n`;
}

/**
 * The whole book as parts whose concatenation is the file: one part per message, because the
 * pictures (data: URLs) make the file big and the shell turns parts into Blobs one by one.
 * @param {object} book
 * @param {string} book.title e.g. the character's name
 * @param {string} book.subtitle e.g. 'with Alex · 3 December 2026' (plain text)
 * @param {string} book.lang BCP 47, e.g. 'en'
 * @param {Array<{name: string, isUser: boolean, html: string}>} book.messages html: the message
 *   body, ALREADY sanitised HTML (inserted as is)
 * @returns {{head: string, parts: string[]}} head = parts[0]
 */
export function htmlBook(book) {
    const title = safe(book.title ?? '');
    const subtitle = book.subtitle ? `\n<p class="subtitle">${safe(book.subtitle)}</p>` : '';
    const head = '<!DOCTYPE html>\n'
        + `<html lang="${escapeAttr(book.lang || 'en')}">\n<head>\n`
        + `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n`
        + '<meta charset="utf-8">\n'
        + '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        + '<meta name="referrer" content="no-referrer">\n'
        + `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n`
        + `<header class="book">\n<h1>${title}</h1>${subtitle}\n</header>\n<main>\n`;
    const parts = [head, ...(book.messages ?? []).map(messageHtml), '</main>\n</body>\n</html>\n'];
    return { head, parts };
}
