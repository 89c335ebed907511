import test from 'node:test';
import assert from 'node:assert/strict';
import { WRITER_MARK, WRITER_PREDEFINED, writerMessages } from '../../src/prompts/prompt-writer-request.js';

const text = (/** @type {string} */ name) => /** @type {string} */ (WRITER_PREDEFINED.find((p) => p.name.startsWith(name))?.text);
import { readWriterAnswer } from '../../src/prompts/writer-answer.js';

test('the writer request: marked, in the preset\'s style, with the cast, the context and the reply', () => {
    const reply = 'word '.repeat(600);
    const [system, user] = writerMessages({ instructions: text('NAI'), reply, context: [{ name: 'You', text: 'Go north.' }, { name: 'S', text: '' }], cast: 'CAST BLOCK', max: 4, words: 250 });
    assert.equal(system.role, 'system');
    assert.ok(system.content.startsWith(WRITER_MARK));
    assert.match(system.content, /choose up to 2 moments .*at most 4/);
    assert.match(system.content, /Danbooru-style tags/);
    assert.match(system.content, /CAST BLOCK/);
    assert.match(system.content, /\{"images": \[\{"quote"/);
    assert.match(user.content, /^Earlier in the story:\nYou: Go north\.\n\nThe passage to illustrate:\nword/);
    assert.doesNotMatch(user.content, /S: /, 'empty messages are left out');
    const prose = writerMessages({ instructions: text('Natural'), reply: 'short reply', max: 6 });
    assert.match(prose[0].content, /choose up to 1 moments/);
    assert.match(prose[0].content, /plain English/);
    assert.doesNotMatch(prose[1].content, /Earlier/);
});

test('the form the request asks for is the form the reader reads', () => {
    const [system] = writerMessages({ instructions: text('Default'), reply: 'x', max: 2 });
    const example = system.content.match(/\{"images": .*\}\]\}/)?.[0] ?? '';
    assert.deepEqual(readWriterAnswer(example).items, [{ quote: 'words from the passage', prompt: 'the image prompt', shape: 'portrait' }]);
});

test('a custom writer preset gets the mark and the answer form, and its placeholders filled', () => {
    const [system] = writerMessages({ instructions: 'Pick {{wanted}} of at most {{max}}.\n{{cast}}\nBe brief.', reply: 'a b c', max: 3, cast: '' });
    assert.ok(system.content.startsWith(WRITER_MARK));
    assert.match(system.content, /Pick 1 of at most 3\.\n\nBe brief\.\n\nAnswer with JSON only/);
    const [withCast] = writerMessages({ instructions: 'X\n{{cast}}\nY', reply: 'a', max: 1, cast: 'THE CAST' });
    assert.match(withCast.content, /X\n\nTHE CAST\n\nY/);
});
