// The operators' dashboard: reads the report API, redraws when the server says reports changed.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { granularity: 'hour', product: null };
  const chart = echarts.init($('chart'));
  const TOP_SERIES = 10;
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
  async function json(url) {
    const r = await fetch(url);
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
    const [now, before, cumulative] = await Promise.all([
      json(newUsersUrl(from, to)),
      json(newUsersUrl(new Date(from - span), from)),
      json('/api/v1/new-users/cumulative?product=' + encodeURIComponent(state.product) + '&at=' + to.toISOString()),
    ]);
    draw(now, before, cumulative);
  }

  function draw(now, before, cumulative) {
    const perChannel = new Map();
    const beforePerChannel = new Map();
    const buckets = new Set();
    let finals = 0;
    for (const r of now.rows) {
      perChannel.set(r.channel, (perChannel.get(r.channel) || 0) + r.new_users);
      buckets.add(r.bucket);
      if (r.status === 'final') finals++;
    }
    for (const r of before.rows) beforePerChannel.set(r.channel, (beforePerChannel.get(r.channel) || 0) + r.new_users);
    const total = [...perChannel.values()].reduce((a, b) => a + b, 0);
    const totalBefore = [...beforePerChannel.values()].reduce((a, b) => a + b, 0);
    $('rangeTotal').textContent = fmt.format(total);
    $('rangeChange').innerHTML = change(total, totalBefore) + ' vs previous period';
    $('cumulativeTotal').textContent = fmt.format(cumulative.total);
    $('tz').textContent = 'buckets in ' + now.tz;
    $('finality').textContent = fmt.format(finals) + ' / ' + fmt.format(now.rows.length - finals);

    const ranked = [...perChannel.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const shown = ranked.slice(0, TOP_SERIES).map((e) => e[0]);
    const xs = timeline(now, buckets);
    const index = new Map(xs.map((b, i) => [b, i]));
    const series = new Map(shown.map((c) => [c, xs.map(() => ({ value: 0, final: true }))]));
    if (ranked.length > TOP_SERIES) series.set('other', xs.map(() => ({ value: 0, final: true })));
    for (const r of now.rows) {
      const name = series.has(r.channel) ? r.channel : 'other';
      const point = series.get(name)[index.get(r.bucket)];
      point.value += r.new_users;
      point.final = point.final && r.status === 'final';
    }
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 4 },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: xs.map(label) },
      yAxis: { type: 'value', name: 'new users' },
      series: [...series.entries()].map(([name, points]) => ({
        name, type: 'bar', stack: 'users',
        data: points.map((p) => ({ value: p.value, itemStyle: { opacity: p.final ? 1 : 0.55 } })),
      })),
    }, true);

    const tbody = $('top').querySelector('tbody');
    tbody.innerHTML = '';
    for (const [channel, users] of ranked.slice(0, 20)) {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td></td><td class="num">' + fmt.format(users) + '</td><td class="num">' +
        (total ? (100 * users / total).toFixed(1) + '%' : '–') + '</td><td class="num">' +
        change(users, beforePerChannel.get(channel) || 0) + '</td>';
      tr.firstChild.textContent = channel;
      tbody.appendChild(tr);
    }
  }

  // Every bucket of the range, so quiet periods show as gaps; only where the browser can compute
  // buckets exactly (minutes anywhere, hours and days in UTC), else the buckets that have data.
  function timeline(answer, buckets) {
    const step = { minute: 60000, hour: 3600000, day: 86400000 }[state.granularity];
    const { from, to } = range();
    if (state.granularity !== 'minute' && answer.tz !== 'UTC') return [...buckets].sort();
    const first = Math.ceil(from.getTime() / step) * step;
    if ((to - first) / step > 5000) return [...buckets].sort();
    const xs = [];
    for (let t = first; t < to.getTime(); t += step) xs.push(new Date(t).toISOString().replace('.000Z', 'Z'));
    for (const b of buckets) if (!xs.includes(b)) xs.push(b);
    return xs.sort();
  }

  function change(now, before) {
    if (!before) return now ? '<span class="up">new</span>' : '–';
    const pct = 100 * (now - before) / before;
    return '<span class="' + (pct >= 0 ? 'up' : 'down') + '">' + (pct >= 0 ? '+' : '') + pct.toFixed(1) + '%</span>';
  }
  function label(iso) {
    const d = new Date(iso);
    if (state.granularity === 'day') return iso.slice(0, 10);
    return iso.slice(5, 16).replace('T', ' ');
  }

  function listen() {
    const events = new EventSource('/api/v1/events');
    events.onopen = () => $('live').classList.add('on');
    events.onerror = () => $('live').classList.remove('on');
    events.addEventListener('reports', (e) => {
      const changed = JSON.parse(e.data).products;
      if (!state.product || changed.includes(state.product)) refresh();
    });
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
  loadProducts().then(() => {
    if (params.get('product')) { $('product').value = params.get('product'); state.product = params.get('product'); }
    return refresh();
  }).then(listen);
})();
