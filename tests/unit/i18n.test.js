import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { extractKeys } from './i18n-keys.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${ROOT}manifest.json`, 'utf8'));
const keys = extractKeys();

test('the extraction finds the drawer labels and the code strings', () => {
    assert.ok(keys.has('iig_images_about_every_n_words'));
    assert.equal(keys.get('iig_cancel'), 'Cancel');
    assert.ok(keys.has('iig_help_maxConcurrent'));
    assert.ok(keys.has('There is no message #${0} in this chat.'));
    assert.ok(keys.size > 40, `only ${keys.size} keys found`);
});

test('keys cannot clash with SillyTavern\'s own: short ones are namespaced, the rest are sentences', () => {
    const clashing = [...keys.keys()].filter((k) => !k.startsWith('iig_') && k.split(/\s+/).length < 5);
    assert.deepEqual(clashing, []);
});

for (const locale of ['en-us', 'zh-cn']) {
    test(`${locale} is declared in the manifest and translates every string`, () => {
        const file = manifest.i18n?.[locale];
        assert.ok(file, `manifest.i18n["${locale}"] missing`);
        const data = JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8'));
        const missing = [...keys.keys()].filter((k) => typeof data[k] !== 'string' || !data[k].trim());
        assert.deepEqual(missing, []);
        const stale = Object.keys(data).filter((k) => !keys.has(k));
        assert.deepEqual(stale, [], 'entries for strings the extension no longer shows');
        for (const [k, v] of Object.entries(data)) {
            const placeholders = (s) => (s.match(/\$\{\d+\}/g) ?? []).sort().join();
            assert.equal(placeholders(v), placeholders(k), `placeholders differ in "${k}"`);
        }
    });
}
