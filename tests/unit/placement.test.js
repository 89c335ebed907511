// The prompt writer's answer and where its tags go. Examples for each rule, then properties
// on generated replies and answers. Replay a failure with FC_SEED=<seed>.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findQuote, placeTags } from '../../src/prompts/placement.js';
import { cleanPrompt, readWriterAnswer } from '../../src/prompts/writer-answer.js';
import { parseTags, stripTags } from '../../src/format/tags.js';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const params = (/** @type {number} */ numRuns) => ({ numRuns, ...(seed === undefined ? {} : { seed }) });

const REPLY = 'The door creaked open. Mara stepped inside, lantern high.\n\nDust hung in the air! A "voice" called out… "Who goes there?"\n\nShe did not answer.';

test('a tag goes right after the sentence holding its quote', () => {
    const { text, placed } = placeTags(REPLY, [{ quote: 'Mara stepped inside', prompt: 'a woman with a lantern in a dark doorway' }]);
    assert.equal(text, REPLY.replace('lantern high.', 'lantern high.<img-prompt="a woman with a lantern in a dark doorway">'));
    assert.equal(placed[0].how, 'quote');
});

test('closing quotes and brackets stay with their sentence; ellipses and "!" end one', () => {
    const one = placeTags(REPLY, [{ quote: 'Who goes', prompt: 'p1' }]).text;
    assert.ok(one.includes('"Who goes there?"<img-prompt="p1">'), one);
    const two = placeTags(REPLY, [{ quote: 'Dust hung', prompt: 'p2' }]).text;
    assert.ok(two.includes('in the air!<img-prompt="p2"> A'), two);
    const decimal = placeTags('It cost 3.5 coins and more. End', [{ quote: 'It cost', prompt: 'p3' }]).text;
    assert.equal(decimal, 'It cost 3.5 coins and more.<img-prompt="p3"> End');
});

test('a quote is found loosely: case, spacing, curly quotes, dashes, trailing punctuation', () => {
    const text = 'He said “wait — now”   and   left.\nNext.';
    assert.equal(findQuote(text, 'he said "wait - now" and left.'), text.indexOf('left.') + 4);
    assert.equal(placeTags(text, [{ quote: 'HE SAID "WAIT', prompt: 'p' }]).text, 'He said “wait — now”   and   left.<img-prompt="p">\nNext.');
});

test('a paragraph without a sentence end gets the tag at its end', () => {
    assert.equal(placeTags('A road in the hills\nMore', [{ quote: 'road', prompt: 'p' }]).text, 'A road in the hills<img-prompt="p">\nMore');
});

test('never inside code, HTML, a reasoning block or another tag', () => {
    const text = 'Start. <think>She thinks. Long.</think> Then `code. here` and <span title="a. b">x.</span> done.\n```\nfenced. text\n```\nEnd.';
    for (const quote of ['She thinks', 'code', 'a. b', 'fenced']) {
        const out = placeTags(text, [{ quote, prompt: 'p' }]).text;
        const at = out.indexOf('<img-prompt');
        const before = out.slice(0, at);
        assert.equal((before.match(/<think>/g) ?? []).length, (before.match(/<\/think>/g) ?? []).length, `${quote}: inside think`);
        assert.equal((before.match(/`/g) ?? []).length % 2, 0, `${quote}: inside code`);
        assert.equal(before.lastIndexOf('<') <= before.lastIndexOf('>'), true, `${quote}: inside a tag`);
    }
    const tagged = 'One <img-prompt="x. y"> two. Three.';
    assert.equal(placeTags(tagged, [{ quote: 'x. y', prompt: 'p' }]).text, 'One <img-prompt="x. y"> two.<img-prompt="p"> Three.');
});

test('a quote not in the text is placed at the next paragraph end, in order, never lost', () => {
    const { text, placed } = placeTags(REPLY, [
        { quote: 'Mara stepped', prompt: 'first' },
        { quote: 'nowhere in the text', prompt: 'second' },
        { quote: '', prompt: 'third' },
    ]);
    assert.deepEqual(placed.map((p) => p.how), ['quote', 'fallback', 'fallback']);
    assert.equal(parseTags(text).map((t) => t.prompt).join(','), 'first,second,third');
    assert.ok(text.includes('lantern high.<img-prompt="first"><img-prompt="second"><img-prompt="third">\n'), text);
});

test('prompts are cleaned to what a tag can hold', () => {
    assert.equal(cleanPrompt('  a "red"\n fox <b>bold</b>\u202e '), "a 'red' fox bold");
    assert.equal(cleanPrompt('<br> ... '), '');
    const long = cleanPrompt('&'.repeat(5000) + ' fox');
    assert.ok(long.length > 0 && parseTags(`<img-prompt="${long.replace(/&/g, '&amp;')}">`).length === 1);
});

test('the answer is read in every shape a model gives it', () => {
    const want = [{ prompt: 'a fox', quote: 'The fox' }, { prompt: 'a den', quote: 'its den' }];
    const json = '{"images": [{"quote": "The fox", "prompt": "a fox"}, {"quote": "its den", "prompt": "a den"}]}';
    for (const answer of [
        json,
        `Here are the prompts:\n\`\`\`json\n${json}\n\`\`\`\nEnjoy!`,
        '[{"quote": "The fox", "prompt": "a fox",}, {"quote": "its den", "prompt": "a den"},]',
        '{“images”: [{“quote”: “The fox”, “prompt”: “a fox”}, {“quote”: “its den”, “prompt”: “a den”}]}',
        '{"pictures": [{"after": "The fox", "description": "a fox"}, {"anchor": "its den", "image_prompt": "a den"}]}',
        'Quote: "The fox"\nPrompt: a fox\n\n2. Quote: its den\n   Prompt: "a den"',
        JSON.parse(json),
    ]) {
        assert.deepEqual(readWriterAnswer(answer).items, want, typeof answer === 'string' ? answer.slice(0, 40) : 'object');
    }
});

test('duplicates, empty prompts and prompts over the limit are dropped', () => {
    const answer = JSON.stringify({ images: [
        { quote: 'a', prompt: 'A fox' }, { quote: 'b', prompt: 'a fox' }, { quote: 'c', prompt: '  ' },
        { quote: 'd', prompt: 'a den' }, { quote: 'e', prompt: 'a hill' },
    ] });
    assert.deepEqual(readWriterAnswer(answer, { max: 2 }), { items: [{ prompt: 'A fox', quote: 'a' }, { prompt: 'a den', quote: 'd' }], dropped: 3 });
    for (const junk of ['', 'no prompts here', '{"images": "none"}', '[1, 2, 3]', '{"broken": [', null, 42]) {
        assert.deepEqual(readWriterAnswer(junk).items, [], String(junk));
    }
});

// -- properties ------------------------------------------------------------------------------

const piece = fc.constantFrom('The fox ran.', ' ', '\n', '\n\n', 'She said "no!"', ' <b>bold.</b> ', '`a. b`', '<think>x. y</think>',
    '```\ncode. block\n```', 'é 名前。', '3.5', '…', '<img-prompt="old one">', 'word', '(aside.)', '"', '<', '>');
const reply = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));
const item = fc.record({ quote: fc.oneof(fc.constantFrom('The fox', 'she said', 'bold', 'x. y', '名前', 'nothing like it', ''), fc.string({ maxLength: 12 })), prompt: fc.string({ minLength: 1, maxLength: 40 }) });

test('placement never changes the text outside the tags it adds, and adds one per usable prompt', () => {
    fc.assert(fc.property(reply, fc.array(item, { maxLength: 6 }), (text, items) => {
        const { text: out, placed } = placeTags(text, items);
        const added = parseTags(out).length - parseTags(text).length;
        return stripTags(out) === stripTags(text) && added === placed.length
            && placed.length === items.filter((i) => cleanPrompt(i.prompt)).length
            && out.length - text.length === placed.reduce((n, p) => n + `<img-prompt="${p.prompt.replace(/[\\&"<>]/g, (c) => ({ '\\': '\\\\', '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c] ?? c)}">`.length, 0);
    }), params(10_000));
});

test('a placed tag reads back as its prompt, in the order given', () => {
    fc.assert(fc.property(reply, fc.array(item, { maxLength: 6 }), (text, items) => {
        const { text: out } = placeTags(text, items);
        const fresh = parseTags(out).map((t) => t.prompt);
        const wanted = items.map((i) => cleanPrompt(i.prompt)).filter(Boolean);
        // Every wanted prompt is there, as often as asked.
        return wanted.every((p) => fresh.filter((f) => f === p).length >= wanted.filter((w) => w === p).length);
    }), params(10_000));
});

test('any answer is read without throwing, into clean bounded prompts', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.json(), fc.anything()), (answer) => {
        const { items } = readWriterAnswer(answer, { max: 5 });
        return items.length <= 5 && items.every((i) => i.prompt && !/["\n]/.test(i.prompt) && parseTags(`<img-prompt="${i.prompt.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\\/g, '\\\\')}">`).length === 1);
    }), params(10_000));
});

test('the writer\'s shape goes into the tag it places; an unknown or missing shape adds nothing', () => {
    const answer = JSON.stringify({ images: [
        { quote: 'The knight rode out.', prompt: 'a knight on a cliff', shape: 'Landscape' },
        { quote: 'She smiled.', prompt: 'a smiling queen', shape: 'tall' },
        { quote: 'The end.', prompt: 'a closed book' },
    ] });
    const { items } = readWriterAnswer(answer);
    assert.deepEqual(items.map((i) => i.shape), ['landscape', undefined, undefined]);
    const text = 'The knight rode out. She smiled. The end.';
    const placed = placeTags(text, items).text;
    assert.deepEqual(parseTags(placed).map((t) => [t.prompt, t.shape]), [['a knight on a cliff', 'landscape'], ['a smiling queen', ''], ['a closed book', '']]);
    assert.match(placed, /<img-prompt="a knight on a cliff" shape="landscape">/);
});
