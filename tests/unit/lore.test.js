// Things to avoid and looks of places and things: the negative prompt (preset, chat, avoid texts),
// the looks lorebook's entries, their matching in prompts and their part of the {{cast}} block.
// Pure functions; composeForCast, which puts them together in SillyTavern, is in looks.test.js.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_CAST, MAX_CAST_BLOCK_CHARS, MAX_LORE_BLOCK_CHARS, MAX_LORE_LINES, castBlock, composePromptReport, findMentions } from '../../src/prompts/cast.js';
import { MAX_LORE_LOOKS, isRegexKey, readLorebook } from '../../src/prompts/lorebook.js';
import { MAX_NEGATIVE_CHARS, composeNegative, normaliseNegative, withPresetNegative } from '../../src/prompts/negative.js';
import { NAI_NEGATIVE, PREDEFINED, presetNegative } from '../../src/prompts/presets.js';
import { loadPresetNegatives, loadSettings } from '../../src/settings.js';

/** A lorebook as SillyTavern's loadWorldInfo gives it. @param {any[]} entries */
const book = (entries) => ({ entries: Object.fromEntries(entries.map((e, i) => [String(e.uid ?? i), { uid: i, key: [], keysecondary: [], comment: '', content: '', disable: false, ...e }])) });

const INN = { uid: 0, key: ['Rusty Anchor', 'the inn'], comment: 'The tavern', content: 'low beamed ceiling, smoky lanterns, long oak bar' };
const SWORD = { uid: 1, key: ['Dawnblade'], content: 'a slim silver sword with a sun-shaped guard' };

test('each enabled entry with a key and content is a look; its keys are its names', () => {
    const { looks, entries } = readLorebook(book([INN, SWORD,
        { uid: 2, key: ['Old Mill'], content: 'a ruined watermill', disable: true },
        { uid: 3, key: [], content: 'no name' },
        { uid: 4, key: ['Empty'], content: '  \n ' },
        { uid: 5, key: ['/drag(on|ons)/i'], content: 'a red dragon' }]));
    assert.equal(entries, 6);
    assert.deepEqual(looks, [
        { id: 'lore:0', name: 'Rusty Anchor', aliases: ['Rusty Anchor', 'the inn'], appearance: INN.content, comment: 'The tavern' },
        { id: 'lore:1', name: 'Dawnblade', aliases: ['Dawnblade'], appearance: SWORD.content, comment: '' },
    ]);
});

test('regular-expression keys are left out, plain keys beside them stay', () => {
    for (const key of ['/drag(on|ons)/i', '/x/', '/a\\/b/gim']) assert.ok(isRegexKey(key), key);
    // As SillyTavern reads them: an unescaped slash inside makes it a plain key.
    for (const key of ['/', '//', 'and/or', '/usr/bin', '/path/to/', 'plain', '', ' /x/']) assert.equal(isRegexKey(key), false, key);
    const { looks } = readLorebook(book([{ key: ['/dragons?/i', 'Ember'], content: 'a red dragon' }]));
    assert.deepEqual(looks.map((l) => l.aliases), [['Ember']]);
});

test('entries go in uid order, content becomes one bounded line, and the count is bounded', () => {
    const { looks } = readLorebook({ entries: { 9: { uid: 9, key: ['B'], content: 'b' }, 2: { uid: 2, key: ['A'], content: 'line one\nline two' } } });
    assert.deepEqual(looks.map((l) => [l.name, l.appearance]), [['A', 'line one, line two'], ['B', 'b']]);
    const many = readLorebook(book(Array.from({ length: MAX_LORE_LOOKS + 50 }, (_, i) => ({ uid: i, key: [`Place${i}`], content: 'x, '.repeat(500) }))));
    assert.equal(many.looks.length, MAX_LORE_LOOKS);
    assert.ok(many.looks.every((l) => l.appearance.length <= 400));
});

test('unreadable lorebook data has no looks and never throws', () => {
    for (const junk of [null, undefined, 'text', 5, [], { entries: null }, { entries: 'x' }, { entries: [null, 5, 'x', { key: 'notalist', content: 'c' }, { key: [5, null], content: 'c' }] }]) {
        assert.deepEqual(readLorebook(junk).looks, [], JSON.stringify(junk));
    }
    const twins = readLorebook({ entries: [{ uid: 1, key: ['A'], content: 'a' }, { uid: 1, key: ['B'], content: 'b' }] }).looks;
    assert.equal(new Set(twins.map((l) => l.id)).size, 2, 'two entries sharing a uid are still two looks');
});

test('a lorebook entry is matched like a character: whole words, any case, in order of mention', () => {
    const lore = readLorebook(book([INN, SWORD])).looks;
    const SERA = { id: 'sera', name: 'Seraphina', appearance: 'long silver hair' };
    const cast = [SERA, ...lore];
    const ids = (/** @type {string} */ p) => findMentions(p, cast, MAX_CAST + MAX_LORE_LOOKS).map((m) => m.id);
    assert.deepEqual(ids('Seraphina draws DAWNBLADE inside the rusty anchor'), ['sera', 'lore:1', 'lore:0']);
    assert.deepEqual(ids('a quiet evening at the Inn'), ['lore:0'], 'the second key names it too');
    assert.deepEqual(ids('Dawnblades and a rusty anchorage'), [], 'not inside other words');
    const composed = composePromptReport('Seraphina at the inn, Dawnblade raised', findMentions('Seraphina at the inn, Dawnblade raised', cast, MAX_CAST + MAX_LORE_LOOKS), { style: 'prose' });
    assert.equal(composed.prompt, `Seraphina: long silver hair; Rusty Anchor: ${INN.content}; Dawnblade: ${SWORD.content}. Seraphina at the inn, Dawnblade raised`);
});

test('an alias a character shares with a lorebook entry is the character\'s', () => {
    const lore = readLorebook(book([{ key: ['Mara'], content: 'a ship called Mara' }])).looks;
    const MARA = { id: 'mara', name: 'Mara Quinn', appearance: 'red hair' };
    assert.deepEqual(findMentions('Mara waves', [MARA, ...lore], MAX_CAST + MAX_LORE_LOOKS).map((m) => m.id), ['mara']);
});

test('lorebook entries past the cast bound are still found when the caller raises it', () => {
    const lore = readLorebook(book(Array.from({ length: 150 }, (_, i) => ({ uid: i, key: [`Place${i}`], content: 'stone' })))).looks;
    assert.deepEqual(findMentions('near Place149', lore).map((m) => m.id), [], 'the default bound is the cast\'s');
    assert.deepEqual(findMentions('near Place149', lore, MAX_CAST + MAX_LORE_LOOKS).map((m) => m.id), ['lore:149']);
    const started = performance.now();
    findMentions('Place1 '.repeat(1400), lore, MAX_CAST + MAX_LORE_LOOKS);
    assert.ok(performance.now() - started < 500, 'a 10 kB prompt against 150 entries stays fast');
});

test('the cast block lists places and things after the characters, with their own sentence', () => {
    const lore = readLorebook(book([INN, SWORD])).looks;
    const SERA = { id: 'sera', name: 'Seraphina', appearance: 'long silver hair' };
    assert.equal(castBlock([SERA], { style: 'prose', lore }), [
        'These characters may appear in the pictures:',
        '- Seraphina: long silver hair',
        'These places and things may appear in the pictures:',
        `- Rusty Anchor: ${INN.content}`,
        `- Dawnblade: ${SWORD.content}`,
        'When one of them is in a picture, name them in its prompt and describe them with the look given here, so they look the same in every picture.',
        'When one of these places or things is in a picture, name it in its prompt and describe it with the look given here.',
    ].join('\n'));
    const only = castBlock([], { style: 'tags', lore });
    assert.match(only, /^These places and things may appear in the pictures:\n- Rusty Anchor/);
    assert.match(only, /write its name as a tag in its prompt, followed by the tags given here for it\.$/);
    assert.doesNotMatch(only, /These characters/);
    assert.equal(castBlock([SERA], { style: 'prose' }), castBlock([SERA], { style: 'prose', lore: [] }), 'no lorebook: the block as before');
});

test('a big lorebook does not flood the instructions', () => {
    const lore = readLorebook(book(Array.from({ length: 200 }, (_, i) => ({ uid: i, key: [`Place${i}`], content: 'weathered stone walls, ivy, '.repeat(20) })))).looks;
    const cast = Array.from({ length: 40 }, (_, i) => ({ id: String(i), name: `N${i}`, appearance: 'x, '.repeat(200) }));
    const alone = castBlock([], { style: 'prose', lore });
    const places = alone.split('\n').filter((l) => l.startsWith('- '));
    assert.ok(places.length > 0 && places.length <= MAX_LORE_LINES, `${places.length} lines`);
    assert.ok(places.join('\n').length <= MAX_LORE_BLOCK_CHARS);
    fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200 }), (people, things) => {
        const block = castBlock(cast.slice(0, people), { style: 'tags', lore: lore.slice(0, things) });
        assert.ok(block.length <= MAX_CAST_BLOCK_CHARS, `${block.length}`);
        if (things) assert.match(block, /These places and things/, 'room is left for the places');
    }), { numRuns: 60 });
});

test('the negative: preset first, then the chat, then avoid texts in order of mention', () => {
    assert.equal(composeNegative(['lowres, text', 'modern clothes', 'hat', 'glasses, scar']), 'lowres, text, modern clothes, hat, glasses, scar');
    assert.equal(composeNegative(['', '  ', undefined, null]), '');
    assert.equal(composeNegative([]), '');
    assert.equal(composeNegative(['blurry\nwatermark', 'Blurry,  WATERMARK , hat']), 'blurry, watermark, hat', 'an item given once, ignoring case and spacing');
});

test('the negative is bounded at a comma, and an earlier source is never cut for a later one', () => {
    const long = Array.from({ length: 300 }, (_, i) => `item${i}`).join(', ');
    const out = composeNegative([long, 'chat words']);
    assert.ok(out.length <= MAX_NEGATIVE_CHARS, `${out.length}`);
    assert.match(out, /^item0, item1, .*item\d+$/);
    assert.doesNotMatch(out, /chat words/);
    assert.equal(composeNegative(['abc, defgh', 'x'], 8), 'abc', 'stops at the first item that does not fit');
    assert.throws(() => composeNegative(['a'], -1), /maxChars/);
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 8 }), fc.integer({ min: 0, max: 1200 }), (parts, max) => {
        const negative = composeNegative(parts, max);
        assert.ok(negative.length <= max);
        assert.doesNotMatch(negative, /[\n\r]|^,|, ,|,$/);
    }), { numRuns: 300 });
});

test('the NAI preset carries NovelAI\'s usual negative; a custom preset has its own', () => {
    const nai = PREDEFINED.find((p) => p.name === 'NAI 4.5 Full');
    assert.equal(nai?.negative, NAI_NEGATIVE);
    assert.match(NAI_NEGATIVE, /^lowres, bad anatomy, bad hands, .*watermark, blurry$/);
    const store = { selected: 'Mine', custom: { Mine: 'Draw <img-prompt="x">', Other: 'y' } };
    assert.equal(presetNegative(store, 'nai 4.5 full'), NAI_NEGATIVE, 'names ignore case');
    assert.equal(presetNegative(store, 'Default'), '');
    assert.equal(presetNegative(store, 'Mine', { mine: 'text, logo' }), 'text, logo');
    assert.equal(presetNegative(store, 'Other', { Mine: 'text' }), '');
    assert.equal(presetNegative(store, 'Gone', { Gone: 'text' }), '', 'a negative without its preset is nothing');
});

test('a custom preset\'s negative is set, replaced ignoring case, and cleared', () => {
    const one = withPresetNegative({}, 'Mine', 'text,\nlogo');
    assert.deepEqual(one, { Mine: 'text, logo' });
    assert.deepEqual(withPresetNegative(one, 'MINE', 'hat'), { MINE: 'hat' });
    assert.deepEqual(withPresetNegative(one, 'Mine', '  '), {});
    assert.deepEqual(one, { Mine: 'text, logo' }, 'the input is left alone');
    assert.ok(normaliseNegative('x, '.repeat(1000)).length <= 600);
});

test('stored preset negatives are repaired: orphans and built-ins dropped, junk reported', () => {
    const store = { selected: 'Mine', custom: { Mine: 'text' } };
    assert.deepEqual(loadPresetNegatives({ Mine: 'a\nb', Gone: 'c', 'NAI 4.5 Full': 'd' }, store), { value: { Mine: 'a, b' }, problems: [] });
    const junk = loadPresetNegatives({ Mine: 5 }, store);
    assert.deepEqual(junk.value, {});
    assert.equal(junk.problems.length, 1);
    assert.equal(loadPresetNegatives('x', store).problems.length, 1);
    const { settings } = loadSettings({ version: 2, presets: store, presetNegatives: { mine: 'lowres' }, looksLorebook: 'World' });
    assert.deepEqual(settings.presetNegatives, { Mine: 'lowres' });
    assert.equal(settings.looksLorebook, 'World');
    assert.equal(loadSettings(undefined).settings.looksLorebook, '');
    assert.equal(loadSettings({ version: 2, looksLorebook: 7 }).settings.looksLorebook, '');
});
