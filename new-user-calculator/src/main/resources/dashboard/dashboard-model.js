// What the dashboard shows, computed from the report API's answers without the DOM or ECharts, so
// Node's test runner can check it (src/test/js). A plain script in the browser (window.DashboardModel),
// a CommonJS module in Node.
(function (global) {
  const TOP_SERIES = 10;
  const TOP_TABLE = 20;
  const MAX_BUCKETS = 5000;
  const OTHER = 'other';
  const STEP = { minute: 60000, hour: 3600000, day: 86400000 };

  // Every bucket of [from, to), so quiet periods show as gaps; only where the browser can compute
  // buckets exactly (minutes anywhere, hours and days in UTC), else the buckets that have data.
  // Buckets are Instant strings (UTC, "Z"), so they sort as text.
  function timeline(buckets, from, to, granularity, tz) {
    const withData = [...new Set(buckets)];
    const step = STEP[granularity];
    if (granularity !== 'minute' && tz !== 'UTC') return withData.sort();
    const first = Math.ceil(+from / step) * step;
    if ((+to - first) / step > MAX_BUCKETS) return withData.sort();
    const xs = [];
    for (let t = first; t < +to; t += step) xs.push(new Date(t).toISOString().replace('.000Z', 'Z'));
    // Data outside the grid (a bucket the server computed differently) is still shown.
    const grid = new Set(xs);
    for (const b of withData) if (!grid.has(b)) xs.push(b);
    return xs.sort();
  }

  function sumPerChannel(rows) {
    const sums = new Map();
    for (const r of rows) sums.set(r.channel, (sums.get(r.channel) || 0) + r.new_users);
    return sums;
  }

  // Channels by users, most first; ties by name, so the order does not depend on the answer's.
  function rank(perChannel) {
    return [...perChannel.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }

  // The top channels as their own series and the rest summed as "other"; a point is final only if
  // every row in it is.
  function series(rows, ranked, xs) {
    const index = new Map(xs.map((b, i) => [b, i]));
    const points = () => xs.map(() => ({ value: 0, final: true }));
    const byName = new Map(ranked.slice(0, TOP_SERIES).map(([c]) => [c, points()]));
    if (ranked.length > TOP_SERIES) byName.set(OTHER, points());
    const shown = new Set(ranked.slice(0, TOP_SERIES).map(([c]) => c));
    for (const r of rows) {
      const point = byName.get(shown.has(r.channel) ? r.channel : OTHER)[index.get(r.bucket)];
      point.value += r.new_users;
      point.final = point.final && r.status === 'final';
    }
    return [...byName.entries()].map(([name, data]) => ({ name, points: data }));
  }

  // Percent change against the previous period: direction 'up', 'down' or null (nothing to
  // compare), and the text shown.
  function change(now, before) {
    if (!before) return now ? { direction: 'up', text: 'new' } : { direction: null, text: '–' };
    const pct = (100 * (now - before)) / before;
    return pct >= 0 ? { direction: 'up', text: '+' + pct.toFixed(1) + '%' } : { direction: 'down', text: pct.toFixed(1) + '%' };
  }

  function share(users, total) {
    return total ? ((100 * users) / total).toFixed(1) + '%' : '–';
  }

  function label(iso, granularity) {
    if (granularity === 'day') return iso.slice(0, 10);
    return iso.slice(5, 16).replace('T', ' ');
  }

  /**
   * Everything draw() needs: rows and previousRows are the API's rows for [from, to) and for the
   * period of the same length before it; tz is the answer's time zone.
   */
  function build({ rows, previousRows, from, to, granularity, tz }) {
    const perChannel = sumPerChannel(rows);
    const before = sumPerChannel(previousRows);
    const ranked = rank(perChannel);
    const total = ranked.reduce((a, [, users]) => a + users, 0);
    const totalBefore = [...before.values()].reduce((a, b) => a + b, 0);
    const finals = rows.filter((r) => r.status === 'final').length;
    const buckets = timeline(rows.map((r) => r.bucket), from, to, granularity, tz);
    return {
      total,
      totalBefore,
      change: change(total, totalBefore),
      finals,
      provisionals: rows.length - finals,
      buckets,
      labels: buckets.map((b) => label(b, granularity)),
      series: series(rows, ranked, buckets),
      table: ranked.slice(0, TOP_TABLE).map(([channel, users]) => ({
        channel,
        users,
        share: share(users, total),
        change: change(users, before.get(channel) || 0),
      })),
    };
  }

  /**
   * The last calibration of the range from the API's calibration records: when it ran, how many
   * hours it proved, the largest error rate before repair and whether any raised an alert
   * ("not calibrated yet" when the range never was).
   */
  function lastCalibration(answer) {
    const records = (answer && answer.records) || [];
    if (!records.length) return { text: 'not calibrated yet', detail: '', alert: false };
    const run = records.reduce((a, r) => (r.at > a.at ? r : a)).run;
    const last = records.filter((r) => r.run === run);
    const at = last.reduce((a, r) => (r.at > a ? r.at : a), '');
    const finals = last.filter((r) => r.outcome === 'final').length;
    const worst = last.reduce((a, r) => Math.max(a, r.error_rate), 0);
    return {
      text: finals + ' / ' + last.length + ' hours final',
      detail: at.slice(0, 16).replace('T', ' ') + ' UTC, error rate up to ' + (100 * worst).toFixed(2) + '%' +
        (last.some((r) => r.alert) ? ' (ALERT)' : ''),
      alert: last.some((r) => r.alert),
    };
  }

  const ALERT_BADGE = { spike: '▲ spike', drop: '▼ drop', new: '★ new', silent: '○ silent' };

  /**
   * The channel alerts of the range from the API's answer: newest window first (then by channel),
   * each with its badge and a line to show, and per channel its alerts, so the channel table can
   * mark the channels that have one.
   */
  function channelAlerts(answer) {
    const list = ((answer && answer.alerts) || []).slice()
      .sort((a, b) => b.from.localeCompare(a.from) || a.channel.localeCompare(b.channel) || a.kind.localeCompare(b.kind));
    const items = list.map((a) => ({
      channel: a.channel,
      kind: a.kind,
      badge: ALERT_BADGE[a.kind] || a.kind,
      when: a.from.slice(0, 16).replace('T', ' ') + ' UTC, ' + (a.window === 'hour' ? 'hour' : '10 minutes'),
      text: a.new_users + ' new users, usually ' + Math.round(a.baseline_median) +
        (a.delivery === 'pending' ? ' (webhook: not delivered yet)' : ''),
    }));
    const byChannel = new Map();
    for (const item of items) {
      if (!byChannel.has(item.channel)) byChannel.set(item.channel, []);
      byChannel.get(item.channel).push(item);
    }
    return { items, byChannel };
  }

  const model = { build, lastCalibration, channelAlerts, timeline, rank, series, change, share, label, TOP_SERIES, TOP_TABLE, MAX_BUCKETS, OTHER };
  if (typeof module !== 'undefined' && module.exports) module.exports = model;
  else global.DashboardModel = model;
})(typeof window !== 'undefined' ? window : globalThis);
