// The cast: mentions, the composed /sd prompt and the {{cast}} block. Examples for each rule of
// the issue, then properties tried on thousands of generated prompts and casts. A failure prints
// the shrunk case and the seed; replay with FC_SEED=<seed> node --test tests/unit/cast.test.js
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_MAX_CHARS, MAX_CAST_BLOCK_CHARS, castBlock, composePromptReport, fillCast, findMentions, presetStyle } from '../../src/prompts/cast.js';
import { MAX_ALIASES, MAX_ALIAS_CHARS, MAX_APPEARANCE_CHARS, defaultAliases, normaliseAliases, normaliseAppearance } from '../../src/prompts/cast-text.js';
import { PREDEFINED } from '../../src/prompts/presets.js';
import { MAX_PROMPT_CHARS } from '../../src/format/tags.js';
import { HOSTILE_PROMPTS } from './hostile-prompts.js';

/** composePromptReport's prompt alone. */
const composePrompt = (...args) => composePromptReport(...args).prompt;

const SERA = { id: 'sera', name: 'Seraphina', appearance: 'long silver hair, green eyes, white dress' };
const MARA = { id: 'mara', name: 'Mara Quinn', appearance: 'short red hair, freckles, leather armor' };
const ANN = { id: 'ann', name: 'Ann', appearance: 'blue coat' };
const YUKI = { id: 'yuki', name: '白雪', appearance: 'long black hair, kimono' };
const CAST = [SERA, MARA, ANN, YUKI];

/** @param {string} prompt @param {any[]} [cast] */
const ids = (prompt, cast = CAST) => findMentions(prompt, cast).map((m) => m.id);

test('aliases default to the full name and its first word', () => {
    assert.deepEqual(defaultAliases('Seraphina'), ['Seraphina']);
    assert.deepEqual(defaultAliases('  Mara   Quinn '), ['Mara Quinn', 'Mara']);
    assert.deepEqual(defaultAliases('The Narrator'), ['The Narrator']);
    assert.deepEqual(defaultAliases('Dr. Mara Quinn'), ['Dr. Mara Quinn']);
    assert.deepEqual(defaultAliases('J Smith'), ['J Smith']);
    assert.deepEqual(defaultAliases('山田 太郎'), ['山田 太郎', '山田']);
    assert.deepEqual(defaultAliases(''), []);
    assert.deepEqual(defaultAliases(undefined), []);
});

test('aliases from user text are cleaned, deduplicated ignoring case and bounded', () => {
    assert.deepEqual(normaliseAliases('Sera, sera ,Seraphina\nSERA;  Lady  S '), ['Sera', 'Seraphina', 'Lady S']);
    assert.deepEqual(normaliseAliases('白雪、ユキ，雪'), ['白雪', 'ユキ', '雪']);
    assert.deepEqual(normaliseAliases(['Quinn, Mara', '', '  ', '-', "'", 'x\u0000y']), ['Quinn, Mara', 'x y']);
    assert.deepEqual(normaliseAliases(['a'.repeat(MAX_ALIAS_CHARS + 1), 'b'.repeat(MAX_ALIAS_CHARS)]), ['b'.repeat(MAX_ALIAS_CHARS)]);
    assert.equal(normaliseAliases(Array.from({ length: 30 }, (_, i) => `n${i}`)).length, MAX_ALIASES);
    assert.deepEqual(normaliseAliases(42), []);
    assert.deepEqual(normaliseAliases(null), []);
});

test('a mention is a whole word: names inside other words never match', () => {
    assert.deepEqual(ids('Annual report by Joanne and Hannah'), []);
    assert.deepEqual(ids('Ann, in the rain'), ['ann']);
    assert.deepEqual(ids('(Ann) and [Seraphina]'), ['ann', 'sera']);
    assert.deepEqual(ids('Seraphinas and Mara2 and Seraphina_x'), ['sera']);
    assert.deepEqual(ids('Marabou stork'), []);
    assert.deepEqual(ids('Zoë', [{ id: 'z', name: 'Zo' }]), []);
});

test('matching ignores case, spacing and apostrophe kind, and possessives count', () => {
    assert.deepEqual(ids('SERAPHINA smiles at mara'), ['sera', 'mara']);
    assert.deepEqual(ids("Seraphina's hand on Mara’s shoulder"), ['sera', 'mara']);
    assert.deepEqual(ids("the Quinns' house, Mara Quinn's sword"), ['mara']);
    assert.deepEqual(ids('mara\n  quinn waves'), ['mara']);
    assert.deepEqual(ids("O’Neil waves", [{ id: 'o', name: "O'Neil" }]), ['o']);
    assert.deepEqual(ids('ΟΔΥΣΣΕΥΣ', [{ id: 'o', name: 'Οδυσσευς' }]), ['o']);
    assert.deepEqual(ids('ＳＥＲＡＰＨＩＮＡ', CAST), ['sera']);
});

test('CJK names match as substrings, and CJK text does not join a Latin name into a word', () => {
    assert.deepEqual(ids('白雪が笑う'), ['yuki']);
    assert.deepEqual(ids('白雪姫'), ['yuki']);
    assert.deepEqual(ids('我和Mara去市场'), ['mara']);
    assert.deepEqual(ids('세라가 웃는다', [{ id: 's', name: '세라' }]), ['s']);
    assert.deepEqual(ids('ユキちゃん', [{ id: 'y', name: 'x', aliases: 'ユキ' }]), ['y']);
});

test('each member once, in order of first mention', () => {
    assert.deepEqual(ids('Ann and Seraphina; then Seraphina, Ann and Mara again, Ann'), ['ann', 'sera', 'mara']);
    assert.deepEqual(ids('Mara and 白雪 and Seraphina'), ['mara', 'yuki', 'sera']);
    // The same member listed twice is one member.
    assert.deepEqual(ids('Ann', [ANN, { ...ANN }]), ['ann']);
});

test('the longest alias wins where two overlap, and the text it covers is not read again', () => {
    const jade = { id: 'jade', name: 'Mara Jade' };
    const quinnSr = { id: 'q', name: 'Quinn' };
    const cast = [{ id: 'mara-alone', name: 'Mara' }, MARA, jade, quinnSr];
    assert.deepEqual(ids('Mara Quinn draws', cast), ['mara']);
    assert.deepEqual(ids('Mara Jade draws', cast), ['jade']);
    assert.deepEqual(ids('Mara alone, then Quinn', cast), ['mara-alone', 'q']);
    // The longer alias does not fit as a whole word, so the shorter one is taken.
    assert.deepEqual(ids('Mara Quinnley', cast), ['mara-alone']);
});

test('user aliases replace the defaults; blank ones fall back to them', () => {
    const sera = { ...SERA, aliases: 'Sera, the priestess' };
    assert.deepEqual(ids('Sera and The Priestess', [sera]), ['sera']);
    assert.deepEqual(ids('Seraphina', [sera]), []);
    assert.deepEqual(ids('Seraphina', [{ ...SERA, aliases: ' , ' }]), ['sera']);
});

test('aliases are text, never patterns', () => {
    const cast = [{ id: 'r', name: 'x', aliases: ['.*', 'a+b', '(?:'] }, { id: 'd', name: 'R2-D2' }];
    assert.deepEqual(ids('anything at all', cast), []);
    assert.deepEqual(ids('aab and a+b', cast), ['r']);
    assert.deepEqual(ids('R2-D2 beeps', cast), ['d']);
    for (const prompt of HOSTILE_PROMPTS) assert.doesNotThrow(() => findMentions(prompt, CAST));
});

test('findMentions stays fast on a 10 kB prompt against the largest cast', () => {
    const cast = Array.from({ length: 32 }, (_, i) => ({ id: String(i), name: 'x', aliases: Array.from({ length: 10 }, (_, k) => `${'a '.repeat(20 + k)}${i}`.slice(0, MAX_ALIAS_CHARS)) }));
    const started = performance.now();
    for (const prompt of ['a '.repeat(5000), 'a'.repeat(10_000), 'aa '.repeat(3400)]) assert.deepEqual(findMentions(prompt, cast), []);
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
});

test('prose: a leading clause per character, then the prompt, then the chat style', () => {
    const prompt = 'Mara Quinn hands Seraphina a lantern in a dark forest';
    assert.equal(
        composePrompt(prompt, findMentions(prompt, CAST), { style: 'prose', chatStyle: 'watercolor, soft light' }),
        'Mara Quinn: short red hair, freckles, leather armor; Seraphina: long silver hair, green eyes, white dress. '
            + 'Mara Quinn hands Seraphina a lantern in a dark forest, watercolor, soft light',
    );
    // After a sentence, the style follows with a space; a look's own full stop is not doubled.
    assert.equal(
        composePrompt('Ann waits.', [{ ...ANN, appearance: 'blue coat.\n' }], { style: 'prose', chatStyle: 'ink sketch' }),
        'Ann: blue coat. Ann waits. ink sketch',
    );
});

test('NAI tags: one group per character in one comma-separated list, no braces or sections', () => {
    const prompt = '1girl, 1boy, forest, night, mara quinn, seraphina, very aesthetic, masterpiece, no text';
    const out = composePrompt(prompt, findMentions(prompt, CAST), { style: 'tags', chatStyle: 'watercolor (medium)\nsoft light' });
    assert.equal(out, `short red hair, freckles, leather armor, long silver hair, green eyes, white dress, ${prompt}, watercolor (medium), soft light`);
    assert.doesNotMatch(out, /[{}|]/);
    // A trailing comma is not doubled.
    assert.equal(composePrompt('1girl, ann,', [ANN], { style: 'tags' }), 'blue coat, 1girl, ann,');
});

test('a character whose look is already in the prompt, or blank, is skipped', () => {
    const prose = 'Seraphina, with LONG silver   hair, green eyes, white dress, sings';
    assert.deepEqual(composePromptReport(prose, [SERA, { ...ANN, appearance: ' \n ' }], { style: 'prose' }), {
        prompt: prose, added: [], shortened: null, skipped: [{ id: 'sera', reason: 'in-prompt' }, { id: 'ann', reason: 'no-appearance' }],
    });
    // Tags: every one of its tags among the prompt's tags, in any order.
    const tags = '1girl, white dress, seraphina, green eyes, long silver hair';
    assert.equal(composePrompt(tags, [SERA], { style: 'tags' }), tags);
    assert.equal(composePrompt('1girl, seraphina, green eyes', [SERA], { style: 'tags' }), `${SERA.appearance}, 1girl, seraphina, green eyes`);
    // Two characters with the same look get it once.
    assert.equal(composePrompt('Ann and Anna', [ANN, { ...ANN, id: 'anna', name: 'Anna' }], { style: 'prose' }), 'Ann: blue coat. Ann and Anna');
});

test('the chat style is added once, and not when the prompt already has it', () => {
    assert.equal(composePrompt('a quiet harbour', [], { style: 'prose', chatStyle: 'watercolor, soft light' }), 'a quiet harbour, watercolor, soft light');
    assert.equal(composePrompt('a quiet harbour, Watercolor,  soft light', [], { style: 'prose', chatStyle: 'watercolor, soft light' }), 'a quiet harbour, Watercolor,  soft light');
    assert.equal(composePrompt('soft light, harbour, watercolor', [], { style: 'tags', chatStyle: 'watercolor, soft light' }), 'soft light, harbour, watercolor');
});

test('a prompt that names nobody, with no chat style, goes as it is', () => {
    for (const prompt of ['  a red fox in the snow \n', 'Annual fair', '', '   ']) {
        assert.equal(composePrompt(prompt, findMentions(prompt, CAST), { style: 'prose' }), prompt);
        assert.equal(composePrompt(prompt, [], { style: 'tags', chatStyle: ' \n ' }), prompt);
    }
});

test('length: looks fill the room in order of mention; the one that overflows is cut at a comma, later ones are left out', () => {
    const prompt = 'Seraphina and Mara Quinn and Ann';
    const mentioned = findMentions(prompt, CAST);
    const all = composePrompt(prompt, mentioned, { style: 'tags' });
    assert.equal(all, `${SERA.appearance}, ${MARA.appearance}, blue coat, ${prompt}`);
    // Room for Seraphina's look and Mara's first two items only; Ann's would fit but comes later.
    const maxChars = `${SERA.appearance}, short red hair, freckles, ${prompt}`.length + 12;
    assert.deepEqual(composePromptReport(prompt, mentioned, { style: 'tags', maxChars }), {
        prompt: `${SERA.appearance}, short red hair, freckles, ${prompt}`,
        added: ['sera', 'mara'], shortened: 'mara', skipped: [{ id: 'ann', reason: 'no-room' }],
    });
    // Not even one item fits: dropped.
    assert.equal(composePrompt(prompt, mentioned, { style: 'prose', maxChars: prompt.length + 5 }), prompt);
    // The prompt and the chat style are never cut, even past maxChars.
    const long = `Seraphina ${'x'.repeat(DEFAULT_MAX_CHARS)}`;
    assert.equal(composePrompt(long, [SERA], { style: 'prose', chatStyle: 'oil' }), `${long}, oil`);
    assert.ok(DEFAULT_MAX_CHARS < MAX_PROMPT_CHARS);
});

test('composePrompt refuses an unknown style or a bad maxChars with a precise message', () => {
    assert.throws(() => composePrompt('x', [], /** @type {any} */ ({ style: 'nai' })), /Expected `style` to be 'prose' or 'tags', got "nai"/);
    for (const maxChars of [-1, 1.5, NaN, '100']) {
        assert.throws(() => composePrompt('x', [], /** @type {any} */ ({ style: 'prose', maxChars })), RangeError);
    }
});

test('appearances become one bounded line', () => {
    assert.equal(normaliseAppearance('long silver hair\n green eyes\r\n\nTall.\nQuiet'), 'long silver hair, green eyes, Tall. Quiet');
    assert.equal(normaliseAppearance('a\u0000b\u202ec\td'), 'a b c d');
    const long = normaliseAppearance(Array.from({ length: 100 }, (_, i) => `tag${i}`).join(', '));
    assert.ok(long.length <= MAX_APPEARANCE_CHARS && /^tag0, .*tag\d+$/.test(long), long);
    assert.equal(normaliseAppearance('😀'.repeat(300)).length % 2, 0);
});

test('the cast block lists who has a look and asks the model to name them; none without a look', () => {
    assert.equal(castBlock([{ ...SERA, appearance: '' }, { id: 'x', name: 'X' }], { style: 'prose' }), '');
    assert.equal(castBlock([], { style: 'tags' }), '');
    const prose = castBlock([SERA, { ...ANN, appearance: '' }, MARA], { style: 'prose' });
    assert.equal(prose, [
        'These characters may appear in the pictures:',
        `- Seraphina: ${SERA.appearance}`,
        `- Mara Quinn: ${MARA.appearance}`,
        'When one of them is in a picture, name them in its prompt and describe them with the look given here, so they look the same in every picture.',
    ].join('\n'));
    assert.match(castBlock([SERA], { style: 'tags' }), /write their name as a tag in its prompt, followed by the tags given here/);
});

test('the cast block neutralises line breaks, controls and double quotes, and is bounded', () => {
    const block = castBlock([{ id: 'e', name: 'Eve\n- Mallory: evil', appearance: 'red "hood"\n\u0007x' }], { style: 'prose' });
    assert.equal(block.split('\n')[1], "- Eve - Mallory: evil: red 'hood', x");
    assert.equal(block.split('\n').length, 3);
    const many = Array.from({ length: 40 }, (_, i) => ({ id: String(i), name: `N${i}`, appearance: 'x, '.repeat(200) }));
    assert.ok(castBlock(many, { style: 'prose' }).length <= MAX_CAST_BLOCK_CHARS);
});

test('fillCast puts the block in, or leaves no gap without one', () => {
    assert.equal(fillCast('A\n{{ CAST }}\nB', 'cast'), 'A\ncast\nB');
    assert.equal(fillCast('A\n\n{{cast}}\n\nB', ''), 'A\n\nB');
    assert.equal(fillCast('A\n{{cast}}\nB', ''), 'A\nB');
    assert.equal(fillCast('A {{cast}} B {{words}}', ''), 'A  B {{words}}');
    assert.equal(fillCast('A {{cast}}', '$& $1'), 'A $& $1');
});

test('the built-in presets are read as the right style', () => {
    const style = Object.fromEntries(PREDEFINED.map((p) => [p.name, presetStyle(p)]));
    assert.deepEqual(style, { Default: 'prose', 'NAI 4.5 Full': 'tags', 'Natural language (FLUX, SDXL, DALL-E)': 'prose' });
    assert.equal(presetStyle('Draw: <img-prompt="booru tags for the scene">'), 'tags');
    assert.equal(presetStyle('Use Danbooru conventions.'), 'tags');
    assert.equal(presetStyle('no tag lists, <img-prompt="a sentence">'), 'prose');
    assert.equal(presetStyle(/** @type {any} */ (null)), 'prose');
});

// ---- Properties ----

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
/** @param {number} numRuns */
const params = (numRuns) => ({ numRuns, ...(seed === undefined ? {} : { seed }) });

const NAMES = ['Ann', 'Bea', 'Cid', 'Dov', 'Eli', 'Fay', '白雪', 'Mara Quinn'];
// Pieces that collide with the names: inside other words, possessives, case, CJK, punctuation.
const PIECES = [' ', ' ', ', ', '. ', "'s", '’', '(', ')', '\n', 'Annual', 'Joanne', 'BEAM', 'acid', 'Mara', 'Quinn', 'snow',
    'fox', 'red hair', '1girl', '姫', 'が', '和', '-', '_', '2', 'é'];
const word = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...NAMES) }, { weight: 5, arbitrary: fc.constantFrom(...PIECES) });
const promptText = fc.array(word, { maxLength: 40 }).map((w) => w.join(''));
// Every look carries its own marker, found nowhere else, so it can be counted in the output.
const member = (/** @type {number} */ i) => fc.record({
    id: fc.constant(`m${i}`),
    name: fc.constant(NAMES[i]),
    appearance: fc.array(fc.constantFrom('long hair', 'green eyes', 'cloak', 'scar', 'tall'), { maxLength: 4 })
        .map((tags) => (i % 4 === 3 ? '' : [`look${i}q`, ...tags].join(', '))),
});
const cast = fc.tuple(...NAMES.map((_, i) => member(i)));
const options = fc.record({
    style: fc.constantFrom(/** @type {const} */ ('prose'), /** @type {const} */ ('tags')),
    chatStyle: fc.constantFrom('', 'watercolor, soft light', 'ink sketch\nmonochrome', ' '),
    maxChars: fc.integer({ min: 0, max: 400 }),
});

test("composition never removes or alters the model's prompt text", () => {
    fc.assert(fc.property(promptText, cast, options, (prompt, members, opts) => {
        const out = composePrompt(prompt, findMentions(prompt, members), opts);
        assert.ok(out.includes(prompt.trim()), JSON.stringify(out));
    }), params(5000));
});

test("each mentioned character's look is added at most once, and not when the prompt has it", () => {
    fc.assert(fc.property(promptText, cast, options, fc.boolean(), (prompt, members, opts, withLook) => {
        // Sometimes the prompt already holds a look; the mentioned list may repeat a member.
        const text = withLook && members[0].appearance ? `${prompt} ${members[0].appearance}` : prompt;
        const mentioned = findMentions(text, members);
        const out = composePrompt(text, [...mentioned, ...mentioned], opts);
        for (const m of members) {
            const marker = m.appearance.split(',')[0];
            if (!marker) continue;
            const before = text.split(marker).length - 1;
            assert.ok(out.split(marker).length - 1 <= (before ? before : 1), `${marker} in ${JSON.stringify(out)}`);
        }
    }), params(5000));
});

test('a composed prompt is at most max(prompt and chat style, maxChars) long', () => {
    fc.assert(fc.property(promptText, cast, options, (prompt, members, opts) => {
        const base = composePrompt(prompt, [], opts);
        const out = composePrompt(prompt, findMentions(prompt, members), opts);
        assert.ok(out.length <= Math.max(base.length, opts.maxChars), `${out.length} > max(${base.length}, ${opts.maxChars})`);
    }), params(5000));
});

test('a prompt with no alias in it, even inside words, mentions nobody and goes as it is', () => {
    fc.assert(fc.property(promptText, cast, (prompt, members) => {
        const lower = prompt.toLowerCase().replace(/\s+/g, ' ');
        fc.pre(members.every((m) => defaultAliases(m.name).every((a) => !lower.includes(a.toLowerCase()))));
        assert.deepEqual(findMentions(prompt, members), []);
        assert.equal(composePrompt(prompt, findMentions(prompt, members), { style: 'prose' }), prompt);
    }), params(3000));
});

test('matching ignores case: the upper- and lower-cased prompt mention the same members', () => {
    fc.assert(fc.property(promptText, cast, (prompt, members) => {
        const found = findMentions(prompt, members).map((m) => m.id);
        assert.deepEqual(findMentions(prompt.toUpperCase(), members).map((m) => m.id), found);
        assert.deepEqual(findMentions(prompt.toLowerCase(), members).map((m) => m.id), found);
    }), params(3000));
});

// A reference for names that never overlap: each name's first whole-word place, found by
// brute force with an ASCII word test (the generated text is ASCII apart from CJK and é).
const SEPARATE = ['Ann', 'Bea', 'Cid', 'Dov', '白雪'];
/** @param {string} text @param {string} name */
function firstPlace(text, name) {
    const t = text.toLowerCase();
    const n = name.toLowerCase();
    const isWord = (/** @type {string | undefined} */ ch) => ch !== undefined && /[a-z0-9é]/.test(ch);
    for (let i = t.indexOf(n); i !== -1; i = t.indexOf(n, i + 1)) {
        if (/^[a-z]/.test(n) && (isWord(t[i - 1]) || isWord(t[i + n.length]))) continue;
        return i;
    }
    return -1;
}

test('with names that never overlap, the mentions are the names found as whole words, by first place', () => {
    const separateCast = SEPARATE.map((name, i) => ({ id: `m${i}`, name }));
    fc.assert(fc.property(promptText, (prompt) => {
        const expected = separateCast.map((m) => ({ id: m.id, at: firstPlace(prompt, m.name) }))
            .filter((m) => m.at !== -1).sort((a, b) => a.at - b.at).map((m) => m.id);
        assert.deepEqual(findMentions(prompt, separateCast).map((m) => m.id), expected);
    }), params(5000));
});

// -- Describe from card, and what a card holds ------------------------------------------------

const { cleanDescription, describeRequest, readLook } = await import('../../src/prompts/cast-text.js');

test('a described look is cleaned of labels, quotes, bullets and markup', () => {
    assert.deepEqual(cleanDescription('Appearance: "short copper hair, freckles"'), { appearance: 'short copper hair, freckles' });
    assert.deepEqual(cleanDescription('**Appearance:** tall'), { appearance: 'tall' });
    assert.deepEqual(cleanDescription('- long silver hair\n- green eyes\n2. white robe'), { appearance: 'long silver hair, green eyes, white robe' });
    assert.deepEqual(cleanDescription('```\nred scarf, <b>blue</b> eyes\n```'), { appearance: 'red scarf, blue eyes' });
    assert.deepEqual(cleanDescription('a "tall" woman'), { appearance: "a 'tall' woman" }, 'no double quote can reach a tag');
});

test('an empty, refusing or story-like answer is reported, never used', () => {
    for (const empty of ['', '   ', '"..."', '<div></div>', '```\n```', null, 42]) assert.equal(cleanDescription(empty).problem, 'empty', String(empty));
    for (const refusal of ["I'm sorry, but I can't help with that.", 'I cannot describe real people.', 'As an AI, I do not', 'Unfortunately there is no description.']) {
        assert.equal(cleanDescription(refusal).problem, 'refusal', refusal);
    }
    assert.equal(cleanDescription('She walks in. <img-prompt="a woman"> Then.').problem, 'not-a-look');
    assert.equal(cleanDescription('word '.repeat(400)).problem, 'not-a-look');
});

test('any answer gives a bounded one-line look or a problem, and never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (answer) => {
        const out = cleanDescription(answer);
        if (out.problem) return ['empty', 'refusal', 'not-a-look'].includes(out.problem);
        const look = /** @type {string} */ (out.appearance);
        return look.length > 0 && look.length <= MAX_APPEARANCE_CHARS && !/[\n"]/.test(look);
    }), params(10_000));
});

test('the Describe request carries the card and asks for the preset\'s form', () => {
    const tags = describeRequest({ name: 'Mara Quinn', description: 'A harbour pilot.', personality: 'calm', scenario: '' }, 'tags');
    assert.match(tags.prompt, /A harbour pilot\./);
    assert.match(tags.prompt, /Personality:\ncalm/);
    assert.doesNotMatch(tags.prompt, /Scenario:/);
    assert.match(tags.prompt, /Danbooru-style tags/);
    assert.match(tags.prompt, /Describe how Mara Quinn looks/);
    const prose = describeRequest({ name: 'Mara', description: 'x'.repeat(20_000) }, 'prose');
    assert.match(prose.prompt, /descriptive phrases/);
    assert.ok(prose.prompt.length < 7000, 'a huge card is cut');
});

test('a card field is read forgivingly', () => {
    assert.deepEqual(readLook({ appearance: ' red\nhair ', aliases: 'Mara, Mara', avoid: 'hat\nglasses' }), { appearance: 'red, hair', aliases: ['Mara'], avoid: 'hat, glasses' });
    for (const junk of [null, undefined, 'text', [1, 2], { appearance: 5, aliases: { a: 1 }, avoid: ['x'] }]) {
        assert.deepEqual(readLook(junk), { appearance: '', aliases: [], avoid: '' }, JSON.stringify(junk));
    }
});
