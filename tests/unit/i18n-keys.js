// Extracts every string the extension shows through SillyTavern's i18n: `data-i18n` keys in
// templates (with the element's English text) and t`...` templates in the source, keyed the
// way SillyTavern's t() looks them up ("text ${0} more").
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PREDEFINED } from '../../src/prompts/presets.js';
import { WRITER_PREDEFINED } from '../../src/prompts/prompt-writer-request.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function files(dir, ext) {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
    });
}

/** @returns {Map<string, string>} key -> English text */
export function extractKeys() {
    const keys = new Map();
    for (const path of files(join(ROOT, 'templates'), '.html')) {
        const html = readFileSync(path, 'utf8');
        // <tag ... data-i18n="key" ...>English</tag>; "[title]key" translates an attribute.
        for (const m of html.matchAll(/<(\w+)[^>]*\sdata-i18n="([^"]+)"[^>]*>([^<]*)</g)) {
            for (const part of m[2].split(';')) {
                const attr = part.match(/^\[(\w+)\](.*)$/);
                if (attr) keys.set(attr[2], attr[2]);
                else keys.set(part, m[3].trim() || part);
            }
        }
    }
    for (const path of files(join(ROOT, 'src'), '.js')) {
        // Comments quote code (`message`, `t`) and are not shown to anyone.
        const js = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
        for (const m of js.matchAll(/(?<![\w.])(?:t|message)`((?:[^`\\]|\\.)*)`/g)) {
            let i = 0;
            const key = m[1].replace(/\$\{[^}]*\}/g, () => `\${${i++}}`);
            keys.set(key, key);
        }
        for (const m of js.matchAll(/\btk\('([^']+)', '((?:[^'\\]|\\.)*)'\)/g)) keys.set(m[1], m[2]);
    }
    // Built-in presets' descriptions are shown through tk(descriptionKey, description).
    for (const p of [...PREDEFINED, ...WRITER_PREDEFINED]) keys.set(p.descriptionKey, p.description);
    return keys;
}
