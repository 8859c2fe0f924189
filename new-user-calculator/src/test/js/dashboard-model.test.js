// The dashboard's model under Node's own test runner: node --test src/test/js (DashboardModelTest
// runs it in the Maven build).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const Model = require(path.join(__dirname, '../../main/resources/dashboard/dashboard-model.js'));

const T = (iso) => new Date(iso);
const row = (bucket, channel, users, status = 'provisional') => ({ bucket, channel, new_users: users, status });
const build = (rows, previousRows, from, to, granularity, tz = 'UTC') =>
  Model.build({ rows, previousRows, from: T(from), to: T(to), granularity, tz });
const values = (series) => Object.fromEntries(series.map((s) => [s.name, s.points.map((p) => p.value)]));

test.describe('time axis', () => {
  test('minute buckets fill quiet gaps, also outside UTC', () => {
    const xs = Model.timeline(['2024-03-01T10:03:00Z'], T('2024-03-01T10:00:00Z'), T('2024-03-01T10:05:00Z'), 'minute', 'Asia/Kolkata');
    assert.deepEqual(xs, ['2024-03-01T10:00:00Z', '2024-03-01T10:01:00Z', '2024-03-01T10:02:00Z', '2024-03-01T10:03:00Z', '2024-03-01T10:04:00Z']);
  });

  test('the grid starts at the first whole bucket and excludes the end', () => {
    const xs = Model.timeline([], T('2024-03-01T10:00:30Z'), T('2024-03-01T10:03:00Z'), 'minute', 'UTC');
    assert.deepEqual(xs, ['2024-03-01T10:01:00Z', '2024-03-01T10:02:00Z']);
  });

  test('hour and day buckets in UTC fill quiet gaps', () => {
    assert.deepEqual(Model.timeline(['2024-03-01T12:00:00Z'], T('2024-03-01T10:00:00Z'), T('2024-03-01T14:00:00Z'), 'hour', 'UTC'),
      ['2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', '2024-03-01T12:00:00Z', '2024-03-01T13:00:00Z']);
    assert.deepEqual(Model.timeline([], T('2024-03-01T00:00:00Z'), T('2024-03-04T00:00:00Z'), 'day', 'UTC'),
      ['2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z', '2024-03-03T00:00:00Z']);
  });

  test('hour and day buckets outside UTC are only the buckets with data, in order, once each', () => {
    const data = ['2024-03-02T18:30:00Z', '2024-02-29T18:30:00Z', '2024-03-02T18:30:00Z'];
    for (const g of ['hour', 'day']) {
      assert.deepEqual(Model.timeline(data, T('2024-02-29T00:00:00Z'), T('2024-03-04T00:00:00Z'), g, 'Asia/Kolkata'),
        ['2024-02-29T18:30:00Z', '2024-03-02T18:30:00Z']);
    }
  });

  test('more than the maximum of buckets falls back to the buckets with data', () => {
    const from = T('2024-03-01T00:00:00Z');
    const data = ['2024-03-03T00:07:00Z', '2024-03-01T00:01:00Z'];
    const exactly = new Date(+from + Model.MAX_BUCKETS * 60000);
    assert.equal(Model.timeline(data, from, exactly, 'minute', 'UTC').length, Model.MAX_BUCKETS);
    const over = new Date(+exactly + 60000);
    assert.deepEqual(Model.timeline(data, from, over, 'minute', 'UTC'), ['2024-03-01T00:01:00Z', '2024-03-03T00:07:00Z']);
  });

  test('buckets with data outside the computed grid are kept, in time order', () => {
    const xs = Model.timeline(['2024-03-01T11:30:00Z', '2024-03-01T09:00:00Z'], T('2024-03-01T10:00:00Z'), T('2024-03-01T12:00:00Z'), 'hour', 'UTC');
    assert.deepEqual(xs, ['2024-03-01T09:00:00Z', '2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', '2024-03-01T11:30:00Z']);
  });

  test('every series has one point per bucket, zero in quiet ones', () => {
    const m = build([row('2024-03-01T12:00:00Z', 'a', 3)], [], '2024-03-01T10:00:00Z', '2024-03-01T13:00:00Z', 'hour');
    assert.deepEqual(m.labels, ['03-01 10:00', '03-01 11:00', '03-01 12:00']);
    assert.deepEqual(values(m.series), { a: [0, 0, 3] });
  });

  test('day labels are the date', () => {
    assert.equal(Model.label('2024-03-01T00:00:00Z', 'day'), '2024-03-01');
  });
});

test.describe('"other" series', () => {
  const bucket = '2024-03-01T10:00:00Z';
  const range = ['2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', 'hour'];

  test('eleven or more channels: the top ten by users are series, the rest sum to "other"', () => {
    // c01 has 1 user ... c13 has 13; c10 ties with "b10", which wins by name.
    const rows = [];
    for (let i = 1; i <= 13; i++) rows.push(row(bucket, 'c' + String(i).padStart(2, '0'), i));
    rows.push(row(bucket, 'b10', 10));
    const m = build(rows, [], ...range);
    const names = m.series.map((s) => s.name);
    assert.deepEqual(names, ['c13', 'c12', 'c11', 'b10', 'c10', 'c09', 'c08', 'c07', 'c06', 'c05', 'other']);
    assert.deepEqual(values(m.series).other, [4 + 3 + 2 + 1]);
    assert.equal(m.series.flatMap((s) => s.points).reduce((a, p) => a + p.value, 0), m.total);
  });

  test('a tie at the boundary goes to the channel first by name', () => {
    const rows = [];
    for (let i = 0; i < 11; i++) rows.push(row(bucket, 'ch' + String.fromCharCode(107 - i), 1));
    const names = build(rows, [], ...range).series.map((s) => s.name);
    assert.equal(names.includes('chk'), false, 'the last by name goes to "other"');
    assert.equal(names.at(-1), 'other');
  });

  test('ten or fewer channels: no "other"', () => {
    const rows = [];
    for (let i = 0; i < Model.TOP_SERIES; i++) rows.push(row(bucket, 'c' + i, 1));
    assert.equal(build(rows, [], ...range).series.some((s) => s.name === 'other'), false);
    assert.equal(build([], [], ...range).series.length, 0);
  });

  test('a point is final only if every row in it is final', () => {
    const rows = [];
    for (let i = 0; i < 10; i++) rows.push(row(bucket, 'top' + i, 100, 'final'));
    rows.push(row(bucket, 'x', 1, 'final'), row(bucket, 'y', 1, 'provisional'));
    rows.push(row('2024-03-01T10:01:00Z', 'x', 1, 'final'), row('2024-03-01T10:01:00Z', 'y', 1, 'final'));
    const m = build(rows, [], '2024-03-01T10:00:00Z', '2024-03-01T10:03:00Z', 'minute');
    const other = m.series.find((s) => s.name === 'other');
    assert.deepEqual(other.points, [{ value: 2, final: false }, { value: 2, final: true }, { value: 0, final: true }]);
    assert.deepEqual(m.series[0].points.map((p) => p.final), [true, true, true]);
    assert.deepEqual([m.finals, m.provisionals], [13, 1]);
  });
});

test.describe('change against the previous period', () => {
  test('up, down and zero, with one decimal and a sign', () => {
    assert.deepEqual(Model.change(15, 12), { direction: 'up', text: '+25.0%' });
    assert.deepEqual(Model.change(2, 3), { direction: 'down', text: '-33.3%' });
    assert.deepEqual(Model.change(7, 7), { direction: 'up', text: '+0.0%' });
    assert.deepEqual(Model.change(0, 4), { direction: 'down', text: '-100.0%' });
  });

  test('"new" when there was nothing before, "–" when both are zero', () => {
    assert.deepEqual(Model.change(3, 0), { direction: 'up', text: 'new' });
    assert.deepEqual(Model.change(0, 0), { direction: null, text: '–' });
  });

  test('totals, shares and per-channel change come from both periods', () => {
    const b = '2024-03-01T10:00:00Z';
    const m = build(
      [row(b, 'huawei_store', 9), row(b, 'xiaomi_store', 3), row(b, 'organic', 2)],
      [row('2024-03-01T09:00:00Z', 'huawei_store', 6), row('2024-03-01T09:00:00Z', 'xiaomi_store', 4), row('2024-03-01T09:00:00Z', 'gone', 5)],
      '2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', 'hour');
    assert.deepEqual([m.total, m.totalBefore], [14, 15]);
    assert.deepEqual(m.change, { direction: 'down', text: '-6.7%' });
    assert.deepEqual(m.table, [
      { channel: 'huawei_store', users: 9, share: '64.3%', change: { direction: 'up', text: '+50.0%' } },
      { channel: 'xiaomi_store', users: 3, share: '21.4%', change: { direction: 'down', text: '-25.0%' } },
      { channel: 'organic', users: 2, share: '14.3%', change: { direction: 'up', text: 'new' } },
    ]);
  });

  test('the table shows at most twenty channels', () => {
    const rows = [];
    for (let i = 0; i < 25; i++) rows.push(row('2024-03-01T10:00:00Z', 'c' + i, 1));
    assert.equal(build(rows, [], '2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z', 'hour').table.length, Model.TOP_TABLE);
  });
});

test.describe('last calibration', () => {
  const rec = (run, hour, outcome, rate, at, alert = false) =>
    ({ run, hour, outcome, error_rate: rate, at, alert });

  test('a range never calibrated says so', () => {
    assert.deepEqual(Model.lastCalibration({ records: [] }), { text: 'not calibrated yet', detail: '', alert: false });
  });

  test('only the latest run counts, with its worst error rate and any alert', () => {
    const c = Model.lastCalibration({ records: [
      rec('nightly@1', '2024-03-01T10:00:00Z', 'differs', 0.5, '2024-03-02T02:30:00Z', true),
      rec('command@2', '2024-03-01T10:00:00Z', 'final', 0.0125, '2024-03-02T09:15:10Z', true),
      rec('command@2', '2024-03-01T11:00:00Z', 'differs', 0, '2024-03-02T09:15:20Z'),
    ] });
    assert.equal(c.text, '1 / 2 hours final');
    assert.equal(c.detail, '2024-03-02 09:15 UTC, error rate up to 1.25% (ALERT)');
    assert.equal(c.alert, true);
  });
});

test.describe('channel alerts', () => {
  const alert = (from, channel, kind, users, median, window = 'hour', delivery = 'delivered') =>
    ({ from, channel, kind, new_users: users, baseline_median: median, window, delivery });

  test('newest window first, each with its badge and line, and grouped per channel', () => {
    const a = Model.channelAlerts({ alerts: [
      alert('2024-03-01T10:00:00Z', 'huawei_store', 'spike', 180, 31),
      alert('2024-03-01T11:10:00Z', 'organic', 'silent', 0, 40, '10m', 'pending'),
      alert('2024-03-01T12:00:00Z', 'huawei_store', 'drop', 3, 30),
    ] });
    assert.deepEqual(a.items.map((i) => [i.channel, i.badge]),
      [['huawei_store', '▼ drop'], ['organic', '○ silent'], ['huawei_store', '▲ spike']]);
    assert.equal(a.items[1].when, '2024-03-01 11:10 UTC, 10 minutes');
    assert.equal(a.items[1].text, '0 new users, usually 40 (webhook: not delivered yet)');
    assert.equal(a.items[2].text, '180 new users, usually 31');
    assert.deepEqual(a.byChannel.get('huawei_store').map((i) => i.kind), ['drop', 'spike']);
    assert.equal(a.byChannel.has('xiaomi_store'), false);
  });

  test('no answer or no alert: nothing to show', () => {
    assert.deepEqual(Model.channelAlerts(undefined).items, []);
    assert.equal(Model.channelAlerts({ alerts: [] }).byChannel.size, 0);
  });
});
