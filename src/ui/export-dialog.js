// @ts-check
/**
 * The small dialog before an export: web page or book, the user's messages too or only the
 * story, the prompts as captions or not. Built with DOM calls; nothing here is model text.
 */
import { ctx, tk } from '../st.js';

/**
 * @param {string} name @param {string} value @param {string} label @param {boolean} checked
 * @param {'radio'|'checkbox'} type
 */
function choice(name, value, label, checked, type) {
    const row = document.createElement('label');
    row.className = 'checkbox_label iig-export-choice';
    const input = document.createElement('input');
    input.type = type;
    input.name = name;
    input.value = value;
    input.checked = checked;
    const text = document.createElement('span');
    text.textContent = label;
    row.append(input, text);
    return { row, input };
}

/**
 * Ask how to export; null when the user cancels.
 * @param {'html'|'epub'} [format] the format to offer first
 * @returns {Promise<import('../features/export.js').ExportOptions | null>}
 */
export async function askExportOptions(format = 'html') {
    const c = ctx();
    const form = document.createElement('div');
    form.className = 'iig-export-dialog';
    const title = document.createElement('h3');
    title.textContent = tk('iig_export_title', 'Export the illustrated story');
    const html = choice('iig-export-format', 'html', tk('iig_export_html', 'Web page (one file, reads offline; print it to get a PDF)'), format === 'html', 'radio');
    const epub = choice('iig-export-format', 'epub', tk('iig_export_epub', 'EPUB book (for e-readers)'), format === 'epub', 'radio');
    const withUser = choice('iig-export-user', 'user', tk('iig_export_user', 'Include my messages (off: only the story)'), true, 'checkbox');
    const captions = choice('iig-export-captions', 'captions', tk('iig_export_captions', 'Show each picture\'s prompt as a caption'), false, 'checkbox');
    form.append(title, html.row, epub.row, withUser.row, captions.row);
    const result = await c.callGenericPopup(form, c.POPUP_TYPE.CONFIRM, '', { okButton: tk('iig_export', 'Export'), cancelButton: tk('iig_cancel', 'Cancel') });
    if (result !== c.POPUP_RESULT.AFFIRMATIVE) return null;
    return { format: epub.input.checked ? 'epub' : 'html', withUser: withUser.input.checked, captions: captions.input.checked };
}
