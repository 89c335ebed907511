// @ts-check
/**
 * The viewer's Edit prompt dialog: the prompt, and the picture's shape beside it. Built with DOM
 * calls; the prompt (model text) only ever goes into the input's value.
 */
import { ctx, t, tk } from '../st.js';
import { SHAPES, normaliseShape } from '../format/tag-shape.js';

/** @param {string} shape */
const shapeLabel = (shape) => ({
    portrait: tk('iig_shape_portrait', 'Portrait (2:3)'),
    landscape: tk('iig_shape_landscape', 'Landscape (3:2)'),
    square: tk('iig_shape_square', 'Square (1:1)'),
})[shape] ?? tk('iig_shape_none', 'Image Generation\'s size');

/**
 * Ask for a tag's new prompt and shape; null when the user cancels.
 * @param {string} prompt the tag's prompt @param {string} shape the tag's shape ('': none)
 * @returns {Promise<{prompt: string, shape: import('../format/tag-shape.js').Shape | ''} | null>}
 */
export async function askPromptAndShape(prompt, shape) {
    const c = ctx();
    const content = document.createElement('div');
    const question = document.createElement('p');
    question.textContent = t`Edit the image prompt, then it is drawn again:`;
    const row = document.createElement('label');
    row.className = 'iig-edit-shape';
    const label = document.createElement('span');
    label.textContent = tk('iig_shape', 'Shape');
    const select = document.createElement('select');
    select.className = 'text_pole';
    select.id = 'iig_edit_shape';
    for (const value of ['', ...SHAPES]) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = shapeLabel(value);
        select.append(option);
    }
    select.value = normaliseShape(shape);
    row.append(label, select);
    content.append(question, row);
    const edited = await c.callGenericPopup(content, c.POPUP_TYPE.INPUT, prompt, { rows: 4 });
    if (typeof edited !== 'string') return null;
    return { prompt: edited, shape: normaliseShape(select.value) };
}
