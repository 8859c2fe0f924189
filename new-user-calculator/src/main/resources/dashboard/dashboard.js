// The operators' dashboard: reads the report API, redraws when the server says reports changed.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { granularity: 'hour', product: null };
  const chart = echarts.init($('chart'));
  const fmt = new Intl.NumberFormat();

  function toLocalInput(d) {
    const p = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
  }
  function setRange(hours) {
    const to = new Date(Math.ceil(Date.now() / 60000) * 60000 + 60000);
    $('to').value = toLocalInput(to);
    $('from').value = toLocalInput(new Date(to.getTime() - hours * 3600000));
  }
  function range() {
    return { from: new Date($('from').value), to: new Date($('to').value) };
  }
  // A bearer token, where the API asks for one (api.anonymous-role=none): kept for this tab only.
  function token() { return sessionStorage.getItem('channelToken'); }
  function authHeaders() { const t = token(); return t ? { Authorization: 'Bearer ' + t } : {}; }
  function askToken(message) {
    $('authMessage').textContent = message;
    $('auth').hidden = false;
    $('token').focus();
  }
  async function json(url) {
    const r = await fetch(url, { headers: authHeaders() });
    if (r.status === 401 || r.status === 403) {
      const error = (await r.json()).error || String(r.status);
      askToken(error);
      throw new Error(error);
    }
    if (!r.ok) throw new Error((await r.json()).error || r.status);
    return r.json();
  }
  function newUsersUrl(from, to) {
    return '/api/v1/new-users?product=' + encodeURIComponent(state.product) + '&granularity=' + state.granularity +
      '&from=' + from.toISOString() + '&to=' + to.toISOString();
  }

  async function loadProducts() {
    const data = await json('/api/v1/products');
    const select = $('product');
    const current = select.value;
    select.innerHTML = '';
    for (const p of data.products) {
      const o = document.createElement('option');
      o.value = p.product; o.textContent = p.product;
      select.appendChild(o);
    }
    if (current && data.products.some((p) => p.product === current)) select.value = current;
    state.product = select.value || null;
  }

  async function refresh() {
    if (!state.product) { await loadProducts(); if (!state.product) return; }
    const { from, to } = range();
    if (!(from < to)) return;
    const span = to - from;
    const [now, before, cumulative, calibration, alerts] = await Promise.all([
      json(newUsersUrl(from, to)),
      json(newUsersUrl(new Date(from - span), from)),
      json('/api/v1/new-users/cumulative?product=' + encodeURIComponent(state.product) + '&at=' + to.toISOString()),
      json('/api/v1/calibration?product=' + encodeURIComponent(state.product) + '&from=' + from.toISOString() +
        '&to=' + to.toISOString()),
      json('/api/v1/alerts?product=' + encodeURIComponent(state.product) + '&from=' + from.toISOString() +
        '&to=' + to.toISOString()),
    ]);
    const channelAlerts = DashboardModel.channelAlerts(alerts);
    draw(now, before, cumulative, channelAlerts);
    drawAlerts(channelAlerts);
    const c = DashboardModel.lastCalibration(calibration);
    $('calibration').textContent = c.text;
    $('calibrationDetail').textContent = c.detail;
    $('calibrationCard').classList.toggle('alert', c.alert);
  }

  function draw(now, before, cumulative, alerts) {
    const { from, to } = range();
    const m = DashboardModel.build({
      rows: now.rows, previousRows: before.rows, from, to, granularity: state.granularity, tz: now.tz,
    });
    $('rangeTotal').textContent = fmt.format(m.total);
    $('rangeChange').replaceChildren(changeSpan(m.change), ' vs previous period');
    $('cumulativeTotal').textContent = fmt.format(cumulative.total);
    $('tz').textContent = 'buckets in ' + now.tz;
    $('finality').textContent = fmt.format(m.finals) + ' / ' + fmt.format(m.provisionals);

    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 4 },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: m.labels },
      yAxis: { type: 'value', name: 'new users' },
      series: m.series.map(({ name, points }) => ({
        name, type: 'bar', stack: 'users',
        data: points.map((p) => ({ value: p.value, itemStyle: { opacity: p.final ? 1 : 0.55 } })),
      })),
    }, true);

    const tbody = $('top').querySelector('tbody');
    tbody.replaceChildren();
    for (const row of m.table) {
      const tr = document.createElement('tr');
      tr.append(cell(channelWithAlerts(row.channel, alerts)), cell(fmt.format(row.users), 'num'), cell(row.share, 'num'),
        cell(changeSpan(row.change), 'num'));
      tbody.appendChild(tr);
    }
  }

  // A channel's name with a badge of its newest alert in the range, the others in its tooltip.
  function channelWithAlerts(channel, alerts) {
    const own = alerts.byChannel.get(channel);
    if (!own) return channel;
    const badge = document.createElement('span');
    badge.className = 'badge ' + own[0].kind;
    badge.textContent = own[0].badge + (own.length > 1 ? ' ×' + own.length : '');
    badge.title = own.map((a) => a.badge + ' ' + a.when + ': ' + a.text).join('\n');
    const span = document.createElement('span');
    span.append(channel, ' ', badge);
    return span;
  }

  function drawAlerts(alerts) {
    const list = $('alerts');
    list.replaceChildren();
    $('alertsNone').hidden = alerts.items.length > 0;
    for (const a of alerts.items) {
      const li = document.createElement('li');
      const badge = document.createElement('span');
      badge.className = 'badge ' + a.kind;
      badge.textContent = a.badge;
      const channel = document.createElement('strong');
      channel.textContent = a.channel;
      li.append(badge, ' ', channel, ' ' + a.when + ': ' + a.text);
      list.appendChild(li);
    }
  }

  function cell(content, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.append(content);
    return td;
  }
  // "up" and "down" colour the change; "–" (nothing to compare) stays plain text.
  function changeSpan(c) {
    if (!c.direction) return c.text;
    const span = document.createElement('span');
    span.className = c.direction;
    span.textContent = c.text;
    return span;
  }

  function onReports(data) {
    const changed = JSON.parse(data).products;
    if (!state.product || changed.includes(state.product)) refresh();
  }
  // Without a token, the browser's EventSource; with one, the same stream read through fetch,
  // since EventSource cannot send a header. Either way a lost stream reconnects after a second.
  function listen() {
    if (!token()) {
      const events = new EventSource('/api/v1/events');
      events.onopen = () => $('live').classList.add('on');
      events.onerror = () => $('live').classList.remove('on');
      events.addEventListener('reports', (e) => onReports(e.data));
      return;
    }
    (async () => {
      for (;;) {
        try {
          const r = await fetch('/api/v1/events', { headers: authHeaders() });
          if (r.ok) {
            $('live').classList.add('on');
            const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
            let buffer = '';
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += value;
              for (let end; (end = buffer.indexOf('\n\n')) >= 0;) {
                const lines = buffer.slice(0, end).split('\n');
                buffer = buffer.slice(end + 2);
                const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
                if (lines.includes('event: reports') && data) onReports(data);
              }
            }
          }
        } catch (e) { /* reconnect below */ }
        $('live').classList.remove('on');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
  }

  $('product').onchange = () => { state.product = $('product').value; refresh(); };
  $('from').onchange = refresh;
  $('to').onchange = refresh;
  $('quick').onclick = (e) => { if (e.target.dataset.hours) { setRange(+e.target.dataset.hours); refresh(); } };
  $('granularity').onclick = (e) => {
    if (!e.target.dataset.g) return;
    state.granularity = e.target.dataset.g;
    for (const b of $('granularity').children) b.classList.toggle('on', b === e.target);
    refresh();
  };
  window.addEventListener('resize', () => chart.resize());
  const params = new URLSearchParams(location.search);
  if (params.get('from') && params.get('to')) {
    $('from').value = toLocalInput(new Date(params.get('from')));
    $('to').value = toLocalInput(new Date(params.get('to')));
  } else {
    setRange(6);
  }
  if (params.get('granularity')) {
    state.granularity = params.get('granularity');
    for (const b of $('granularity').children) b.classList.toggle('on', b.dataset.g === state.granularity);
  }
  function start() {
    return loadProducts().then(() => {
      if (params.get('product')) { $('product').value = params.get('product'); state.product = params.get('product'); }
      return refresh();
    }).then(listen, () => {});
  }
  $('authForm').onsubmit = (e) => {
    e.preventDefault();
    sessionStorage.setItem('channelToken', $('token').value.trim());
    $('auth').hidden = true;
    start();
  };
  start();
})();
