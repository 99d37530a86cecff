// rea serve: the screening page and the conflicts page, by keyboard. Plain JavaScript, no
// libraries. Every record field is put on the page with textContent, never as HTML.
'use strict';

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';

  function el(id) { return document.getElementById(id); }

  function typing(event) {
    const t = event.target;
    return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
  }

  function plainKey(event) {
    return !(event.ctrlKey || event.metaKey || event.altKey);
  }

  async function call(method, url, body) {
    const options = { method: method, headers: { 'Accept': 'application/json' },
                      credentials: 'same-origin' };
    if (method !== 'GET') {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = csrf;
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const what = data && data.error ? data.error : 'the server answered ' + response.status;
      const hint = data && data.hint ? ' (' + data.hint + ')' : '';
      throw new Error(what + hint);
    }
    return data;
  }

  function runs(parent, pieces) {
    for (const [kind, text] of pieces) {
      if (kind) {
        const mark = document.createElement('mark');
        mark.className = kind;
        mark.textContent = text;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(text));
      }
    }
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function link(href, text) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    return a;
  }

  // --- the screening page -------------------------------------------------------------------

  function screenPage(root) {
    const phase = root.dataset.phase;
    const reasonRequired = root.dataset.reasonRequired === 'true';
    const base = '/api/screen/' + phase;
    const reasons = {};
    for (const b of root.querySelectorAll('button.reason')) { reasons[b.dataset.key] = b.dataset.code; }
    let page = null;
    let mode = 'work';
    let busy = false;
    let typeFor = null;
    let asked = null;

    function say(text, isError) {
      const m = el('message');
      m.textContent = isError ? 'Error: ' + text : text;
      m.className = isError ? 'message error' : 'message';
    }

    function show(panel) {
      for (const id of ['reason-menu', 'note-box', 'type-menu', 'help', 'confirm-box']) {
        el(id).hidden = id !== panel;
      }
    }

    function render(data) {
      page = data;
      root.dataset.work = data.work ? String(data.work.work_id) : '';
      const shown = data.work ? data.done + 1 : data.done;
      el('progress-text').textContent = data.reviewer + ' · ' + data.phase.replace('_', '/') +
        ' · ' + Math.min(shown, data.total) + ' of ' + data.total;
      const bar = el('progress-bar');
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
      el('queue-done').hidden = !!data.work;
      el('work').hidden = !data.work;
      if (!data.work) { return; }
      const w = data.work;
      const title = el('work-title');
      clear(title);
      runs(title, w.title);
      let authors = w.authors.slice(0, 6).join('; ');
      if (w.authors.length > 6) { authors += '; … (' + w.authors.length + ' authors)'; }
      el('work-authors').textContent = authors || '(no authors)';
      el('work-where').textContent = (w.year || 'n.d.') + ' · ' + (w.journal || '(no journal)');
      const ids = el('work-ids');
      clear(ids);
      ids.appendChild(document.createTextNode('work ' + w.work_id));
      if (w.pmid) {
        ids.appendChild(document.createTextNode(' · '));
        ids.appendChild(link('https://pubmed.ncbi.nlm.nih.gov/' + encodeURIComponent(w.pmid) + '/', 'PMID ' + w.pmid));
      }
      if (w.doi) {
        ids.appendChild(document.createTextNode(' · '));
        ids.appendChild(link('https://doi.org/' + encodeURI(w.doi), 'doi:' + w.doi));
      }
      if (w.url) {
        ids.appendChild(document.createTextNode(' · '));
        ids.appendChild(link(w.url, 'link'));
      }
      el('work-sources').textContent = w.sources.join(', ');
      const ft = data.full_text;
      el('work-fulltext').hidden = !ft;
      if (ft) {
        el('fulltext-state').textContent = (ft.state || 'not yet sought') +
          (ft.location ? ' · ' + ft.location : '');
        const a = el('fulltext-link');
        a.hidden = !ft.link;
        if (ft.link) { a.href = ft.link; } else { a.removeAttribute('href'); }
        el('fulltext-type').textContent = ft.study_type ? ' · study type: ' + ft.study_type : '';
      }
      const abstract = el('work-abstract');
      clear(abstract);
      if (!w.abstract.length) {
        const p = document.createElement('p');
        p.className = 'meta';
        p.textContent = '(no abstract)';
        abstract.appendChild(p);
      }
      for (const section of w.abstract) {
        const p = document.createElement('p');
        if (section.label) {
          const label = document.createElement('span');
          label.className = 'label';
          label.textContent = section.label + ': ';
          p.appendChild(label);
        }
        runs(p, section.runs);
        abstract.appendChild(p);
      }
      const others = el('work-others');
      clear(others);
      for (const o of w.others) {
        const li = document.createElement('li');
        li.textContent = 'Other reviewer (review not blind): ' + o;
        others.appendChild(li);
      }
      const notes = el('work-notes');
      clear(notes);
      for (const n of w.notes) {
        const li = document.createElement('li');
        li.textContent = 'Your note: ' + n;
        notes.appendChild(li);
      }
      window.scrollTo(0, 0);
    }

    async function act(method, url, body, after) {
      if (busy) { return; }
      busy = true;
      root.dataset.busy = '1';
      try {
        const data = await call(method, url, body);
        render(data);
        if (after) { after(data); }
        if (data.message) { say(data.message, false); }
      } catch (err) {
        say(err.message, true);
      } finally {
        busy = false;
        root.dataset.busy = '';
      }
    }

    function decide(decision, reason) {
      if (!page || !page.work) { return; }
      const workId = page.work.work_id;
      act('POST', base + '/decide', { work_id: workId, decision: decision, reason: reason || '' },
        function (data) {
          if (phase === 'full_text' && decision !== 'exclude' && data.written) {
            typeFor = workId;
            mode = 'type';
            show('type-menu');
          }
        });
    }

    function ask(data) {
      // the server asks before an undo goes ahead: y sends it again, confirmed
      if (!data.question) { return; }
      asked = data.question;
      mode = 'confirm';
      el('confirm-text').textContent = asked.text;
      show('confirm-box');
      say('Press y to go ahead, n to leave it.', false);
    }

    function onKey(key) {
      if (busy) { return; }
      if (mode === 'confirm') {
        const question = asked;
        mode = 'work';
        asked = null;
        show(null);
        if (key === 'y' && question) {
          act('POST', base + '/undo', { work_id: question.work_id, confirmed: true,
                                        withdraw_later: question.kind === 'later' }, ask);
        } else {
          say('nothing undone', false);
        }
        return;
      }
      if (mode === 'help') { mode = 'work'; show(null); return; }
      if (mode === 'type') {
        const types = { r: 'review', p: 'primary', g: 'grey' };
        mode = 'work';
        show(null);
        if (types[key] && typeFor !== null) {
          act('POST', '/api/study-type', { work_id: typeFor, study_type: types[key] });
        } else {
          say('study type left for later', false);
        }
        typeFor = null;
        return;
      }
      if (mode === 'reason') {
        if (key === 'Escape') { mode = 'work'; show(null); say('exclusion cancelled', false); return; }
        if (key === 'Enter') {
          if (reasonRequired) { say('an exclusion here needs a reason', true); return; }
          mode = 'work'; show(null); decide('exclude', ''); return;
        }
        if (reasons[key]) { mode = 'work'; show(null); decide('exclude', reasons[key]); return; }
        say('no reason on key ' + JSON.stringify(key), true);
        return;
      }
      if (key === '?') { mode = 'help'; show('help'); return; }
      if (key === 'u') { act('POST', base + '/undo', {}, ask); return; }
      if (!page || !page.work) { return; }
      if (key === 'i') { decide('include'); }
      else if (key === 'm') { decide('maybe'); }
      else if (key === 'e') { mode = 'reason'; show('reason-menu'); say('Pick a reason.', false); }
      else if (key === 's') { act('POST', base + '/skip', { work_id: page.work.work_id }); }
      else if (key === 'n') {
        mode = 'note';
        show('note-box');
        const input = el('note-text');
        input.value = '';
        input.focus();
      }
    }

    el('note-text').addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        const text = event.target.value.trim();
        mode = 'work';
        show(null);
        event.target.blur();
        if (text && page && page.work) {
          act('POST', base + '/note', { work_id: page.work.work_id, note: text });
        } else {
          say('empty note not kept', false);
        }
      } else if (event.key === 'Escape') {
        mode = 'work';
        show(null);
        event.target.blur();
        say('note cancelled', false);
      }
    });

    document.addEventListener('keydown', function (event) {
      if (typing(event) || !plainKey(event)) { return; }
      if (event.key.length === 1 || event.key === 'Enter' || event.key === 'Escape') {
        if (mode !== 'work' || 'iemnus?'.indexOf(event.key) >= 0) { event.preventDefault(); }
        onKey(event.key);
      }
    });
    for (const b of root.querySelectorAll('button[data-key]')) {
      b.addEventListener('click', function () { onKey(b.dataset.key); });
    }
    act('GET', base + '?fresh=1', null, function () { say('Press ? for help.', false); });
  }

  // --- the conflicts page -------------------------------------------------------------------

  function conflictsPage(root) {
    const reasonRequired = root.dataset.reasonRequired === 'true';
    const items = Array.from(root.querySelectorAll('article.conflict'));
    let index = 0;
    let choosing = false;
    function focus(i) {
      if (!items.length) { return; }
      index = Math.max(0, Math.min(items.length - 1, i));
      items.forEach(function (a, k) { a.classList.toggle('active', k === index); });
    }
    function submit(decision, reasonKey) {
      const form = items[index].querySelector('form.resolve');
      form.querySelector('select[name="decision"]').value = decision;
      const select = form.querySelector('select[name="reason"]');
      select.value = '';
      if (reasonKey) {
        const option = select.querySelector('option[data-key="' + reasonKey + '"]');
        if (!option) { return false; }
        select.value = option.value;
      }
      form.submit();
      return true;
    }
    document.addEventListener('keydown', function (event) {
      if (typing(event) || !plainKey(event) || !items.length) { return; }
      const key = event.key;
      if (choosing) {
        event.preventDefault();
        if (key === 'Escape') { choosing = false; el('reason-menu').hidden = true; return; }
        if (key === 'Enter' && !reasonRequired) { submit('exclude', ''); return; }
        if (key.length === 1 && submit('exclude', key)) { return; }
        return;
      }
      if (key === 'i') { event.preventDefault(); submit('include', ''); }
      else if (key === 'e') { event.preventDefault(); choosing = true; el('reason-menu').hidden = false; }
      else if (key === 'j' || key === 'ArrowDown') { event.preventDefault(); focus(index + 1); }
      else if (key === 'k' || key === 'ArrowUp') { event.preventDefault(); focus(index - 1); }
    });
    focus(0);
  }

  document.addEventListener('DOMContentLoaded', function () {
    const screen = el('screen');
    if (screen) { screenPage(screen); }
    const conflicts = el('conflicts');
    if (conflicts) { conflictsPage(conflicts); }
  });
})();
