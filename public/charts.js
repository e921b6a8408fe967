// Charts of a period's or a campaign's calls (GET /api/analytics/series), drawn with uPlot, which this server serves
// from its npm package. Each chart is a figure with a caption and, for screen readers and for the exact numbers, a
// table of what it draws.
import UPlot from '/vendor/uplot/uPlot.esm.js'

const BLUE = '#0550ae'
const GREEN = '#1a7f37'

/** A table of the chart's numbers, folded under it. */
function numbers (el, head, rows) {
  return el('details', {}, el('summary', {}, 'The numbers'),
    el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, ...head.map((name) => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, ...rows.map((row) => el('tr', {}, ...row.map((value) => el('td', {}, String(value)))))))))
}

/** A chart's width inside its figure's padding; a figure not yet shown has none, so the page's (less margins) is taken. */
const widthIn = (figure) => Math.max(240, Math.min((figure.clientWidth || document.documentElement.clientWidth - 48) - 34, 720))

/** The charts on the page, each with its figure: they follow the window's width (a phone turned, a window narrowed). */
const drawn = new Set()
window.addEventListener('resize', () => {
  for (const entry of drawn) {
    if (!entry.figure.isConnected) drawn.delete(entry)
    else entry.plot.setSize({ width: widthIn(entry.figure), height: 200 })
  }
})

/**
 * One chart: `labels` along the bottom, a series of bars (or a line) per entry of `series` ({label, values, color,
 * line}); `unit` after the values on the left axis.
 */
function chart (el, figure, { labels, series, unit = '' }) {
  const box = el('div', { class: 'chart', 'aria-hidden': 'true' })
  figure.insertBefore(box, figure.querySelector('details'))
  const width = widthIn(figure)
  const xs = labels.map((_, index) => index)
  const bars = UPlot.paths.bars({ size: [series.length > 1 ? 0.4 : 0.6, 48] })
  return new UPlot({
    width,
    height: 200,
    legend: { show: series.length > 1, live: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] },
      // Bars and rates are read from zero: a scale that starts at the smallest value makes 1 look like nothing.
      y: { range: (_, _min, max) => [0, unit === '%' ? 100 : Math.max(1, max)] }
    },
    axes: [
      { values: (_, splits) => splits.map((index) => labels[index] ?? ''), gap: 4, size: 36 },
      { values: (_, splits) => splits.map((value) => `${value}${unit}`), size: 48 }
    ],
    series: [
      {},
      ...series.map((one, index) => ({
        label: one.label,
        stroke: one.color,
        fill: one.line ? undefined : `${one.color}cc`,
        width: one.line ? 2 : 0,
        paths: one.line ? undefined : bars,
        points: { show: one.line === true },
        // Two series of bars stand side by side.
        ...(series.length > 1 && !one.line ? { paths: UPlot.paths.bars({ size: [0.4, 48], align: index === 0 ? -1 : 1 }) } : {})
      }))
    ]
  }, [xs, ...series.map((one) => one.values)], box)
}

function figure (el, title, table) {
  return el('figure', { class: 'figure' }, el('figcaption', {}, title), table)
}

const percent = (answered, dialled) => (dialled > 0 ? Math.round((answered / dialled) * 100) : 0)

/** Draws the charts of `series` (as the API answers it) into `container`, replacing what was there. */
export function drawCharts (container, series, timezone, el) {
  const plots = []
  const over = series.over_time
  const outcomes = Object.entries(series.outcomes)
  const figures = [
    [`Pick-up rate over time (${timezone})`, over.length > 0, () => {
      const labels = over.map((point) => point.at.endsWith('T00:00') ? point.at.slice(5, 10) : point.at.slice(5).replace('T', ' '))
      return [numbers(el, ['From', 'Dialled', 'Answered', 'Picked up'], over.map((point) => [point.at.replace('T', ' '), point.dialled, point.answered, `${percent(point.answered, point.dialled)}%`])),
        { labels, series: [{ label: 'Picked up', values: over.map((point) => percent(point.answered, point.dialled)), color: BLUE, line: true }], unit: '%' }]
    }],
    ['Outcomes', outcomes.length > 0, () => [numbers(el, ['Outcome', 'Calls'], outcomes),
      { labels: outcomes.map(([name]) => name), series: [{ label: 'Calls', values: outcomes.map(([, n]) => n), color: GREEN }] }]],
    ['Attempts per customer', series.attempts.length > 0, () => [numbers(el, ['Attempts', 'Customers'], series.attempts.map((row) => [row.attempts, row.customers])),
      { labels: series.attempts.map((row) => String(row.attempts)), series: [{ label: 'Customers', values: series.attempts.map((row) => row.customers), color: BLUE }] }]],
    [`Answered calls by hour of the day (${timezone})`, series.by_hour.some((row) => row.dialled > 0), () => [
      numbers(el, ['Hour', 'Dialled', 'Answered'], series.by_hour.filter((row) => row.dialled > 0).map((row) => [`${String(row.hour).padStart(2, '0')}:00`, row.dialled, row.answered])),
      {
        labels: series.by_hour.map((row) => (row.hour % 3 === 0 ? String(row.hour) : '')),
        series: [
          { label: 'Dialled', values: series.by_hour.map((row) => row.dialled), color: '#8c959f' },
          { label: 'Answered', values: series.by_hour.map((row) => row.answered), color: GREEN }
        ]
      }]],
    ['Talk time of answered calls', series.talk.some((row) => row.calls > 0), () => [numbers(el, ['Lasted', 'Calls'], series.talk.map((row) => [row.range, row.calls])),
      { labels: series.talk.map((row) => row.range), series: [{ label: 'Calls', values: series.talk.map((row) => row.calls), color: BLUE }] }]]
  ]
  const shown = figures.filter(([, any]) => any)
  container.replaceChildren(...(shown.length ? [] : [el('p', { class: 'muted' }, 'Nothing dialled yet: the charts appear once calls are made')]))
  for (const [title, , make] of shown) {
    const [table, spec] = make()
    const node = figure(el, title, table)
    container.append(node)
    const plot = chart(el, node, spec)
    drawn.add({ figure: node, plot })
    plots.push(plot)
  }
  return plots
}
