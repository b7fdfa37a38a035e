// The work plan timeline (Gantt-like): one bar per item from planned start to planned end,
// the percent complete inside it, milestones as diamonds, today as a line; overdue items in
// red, over-budget items outlined in orange. CSP-safe: data arrives in a JSON script block
// (#work-timeline-data); the table under the chart has the same figures.
(function () {
  "use strict";

  const DAY = 86400000;
  const COLOURS = {
    planned: "#a6c8f0",
    plannedOverdue: "#f3b1b1",
    done: "#2fb344",
    doneOverdue: "#d63939",
    overBudget: "#f76707",
    actual: "#1d273b",
    milestone: "#4263eb",
    milestoneDone: "#2fb344",
    today: "#d63939",
  };

  function readJSON(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent || "null");
    } catch (e) {
      return null;
    }
  }

  function day(iso) {
    // Midnight UTC of an ISO date: the chart's time axis then shows whole days.
    const [y, m, d] = iso.split("-").map(Number);
    return Date.UTC(y, m - 1, d);
  }

  function fmt(ms) {
    const d = new Date(ms);
    const mm = String(d.getUTCMonth() + 1).padStart(2, "0");
    const dd = String(d.getUTCDate()).padStart(2, "0");
    return d.getUTCFullYear() + "-" + mm + "-" + dd;
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;",
      "<": "&lt;",
      ">": "&gt;",
      '"': "&quot;",
      "'": "&#39;",
    })[c]);
  }

  function draw() {
    const el = document.getElementById("work-timeline");
    const data = readJSON("work-timeline-data");
    if (!el || !data || !window.echarts || !data.items || !data.items.length) return;
    const items = data.items;
    const labels = data.labels || {};
    el.style.height = Math.max(160, 70 + items.length * 30) + "px";
    const chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    const today = day(data.today);

    let min = Infinity;
    let max = -Infinity;
    const bars = items.map((it, i) => {
      const s = day(it.start);
      const e = day(it.end) + DAY; // the planned end day is included
      min = Math.min(min, s);
      max = Math.max(max, e);
      return { value: [i, s, e, it.percent], item: it };
    });
    const actual = [];
    const milestones = [];
    items.forEach((it, i) => {
      if (it.actual_start) {
        const s = day(it.actual_start);
        const e = it.actual_end ? day(it.actual_end) + DAY : Math.max(today, s + DAY);
        actual.push({ value: [i, s, e], item: it });
        min = Math.min(min, s);
        max = Math.max(max, e);
      }
      (it.milestones || []).forEach((m) => {
        milestones.push({
          value: [day(m.date) + DAY / 2, i],
          name: m.title,
          done: m.done,
          // Done: white with a green border, so it shows on the green progress bar too.
          itemStyle: m.done
            ? { color: "#ffffff", borderColor: COLOURS.milestoneDone, borderWidth: 2 }
            : { color: COLOURS.milestone, borderColor: "#ffffff", borderWidth: 1 },
        });
      });
    });
    const pad = Math.max(3 * DAY, (max - min) * 0.02);

    function clip(shape, params) {
      return window.echarts.graphic.clipRectByRect(shape, {
        x: params.coordSys.x,
        y: params.coordSys.y,
        width: params.coordSys.width,
        height: params.coordSys.height,
      });
    }

    function renderPlanned(params, api) {
      const it = bars[params.dataIndex].item;
      const idx = api.value(0);
      const start = api.coord([api.value(1), idx]);
      const end = api.coord([api.value(2), idx]);
      const h = api.size([0, 1])[1] * 0.5;
      const width = Math.max(end[0] - start[0], 2);
      const shape = clip({ x: start[0], y: start[1] - h / 2, width: width, height: h }, params);
      if (!shape) return null;
      const done = clip(
        {
          x: start[0],
          y: start[1] - h / 2,
          width: (width * Math.max(0, Math.min(100, api.value(3)))) / 100,
          height: h,
        },
        params,
      );
      const children = [
        {
          type: "rect",
          shape: shape,
          style: {
            fill: it.overdue ? COLOURS.plannedOverdue : COLOURS.planned,
            stroke: it.over_budget ? COLOURS.overBudget : null,
            lineWidth: it.over_budget ? 2 : 0,
          },
        },
      ];
      if (done) {
        children.push({
          type: "rect",
          shape: done,
          style: { fill: it.overdue ? COLOURS.doneOverdue : COLOURS.done },
        });
      }
      if (it.over_budget) {
        children.push({
          type: "text",
          style: {
            x: shape.x + shape.width + 4,
            y: start[1],
            text: "¥",
            fill: COLOURS.overBudget,
            fontWeight: "bold",
            verticalAlign: "middle",
          },
        });
      }
      return { type: "group", children: children };
    }

    function renderActual(params, api) {
      const idx = api.value(0);
      const start = api.coord([api.value(1), idx]);
      const end = api.coord([api.value(2), idx]);
      const h = api.size([0, 1])[1];
      const shape = clip(
        { x: start[0], y: start[1] + h * 0.28, width: Math.max(end[0] - start[0], 2), height: 2 },
        params,
      );
      return shape ? { type: "rect", shape: shape, style: { fill: COLOURS.actual } } : null;
    }

    function tooltip(p) {
      if (p.seriesType === "scatter") {
        return escapeHtml(labels.milestone || "") + "：" + escapeHtml(p.name) + "<br>" + fmt(p.value[0]);
      }
      const it = p.data.item;
      const lines = [
        "<b>" + escapeHtml(it.title) + "</b>",
        it.owner ? escapeHtml(labels.owner || "") + "：" + escapeHtml(it.owner) : "",
        escapeHtml(labels.planned || "") + "：" + it.start + " – " + it.end + "（" + it.planned + "%）",
        escapeHtml(labels.percent || "") + "：" + it.percent + "%",
        it.actual_start
          ? escapeHtml(labels.actual || "") + "：" + it.actual_start + " – " + (it.actual_end || "")
          : "",
        "SPI " + (it.spi == null ? "—" : it.spi) + " · CPI " + (it.cpi == null ? "—" : it.cpi),
        it.overdue ? "<span style='color:" + COLOURS.today + "'>" + escapeHtml(labels.overdue || "") + "</span>" : "",
        it.over_budget
          ? "<span style='color:" + COLOURS.overBudget + "'>" + escapeHtml(labels.over_budget || "") + "</span>"
          : "",
      ];
      return lines.filter(Boolean).join("<br>");
    }

    chart.setOption(
      {
        animation: false,
        grid: { left: 170, right: 30, top: 30, bottom: 30 },
        tooltip: { trigger: "item", formatter: tooltip, confine: true },
        xAxis: {
          type: "time",
          position: "top",
          min: min - pad,
          max: max + pad,
          splitLine: { show: true, lineStyle: { type: "dashed" } },
          axisLabel: { hideOverlap: true },
        },
        yAxis: {
          type: "category",
          inverse: true,
          data: items.map((it) => it.title),
          axisLabel: { width: 150, overflow: "truncate" },
          axisTick: { show: false },
        },
        series: [
          {
            type: "custom",
            name: labels.planned || "",
            renderItem: renderPlanned,
            encode: { x: [1, 2], y: 0 },
            data: bars,
            markLine: {
              symbol: "none",
              silent: true,
              label: { formatter: labels.today || "", position: "end" },
              lineStyle: { color: COLOURS.today, type: "solid", width: 1.5 },
              data: [{ xAxis: today }],
            },
          },
          {
            type: "custom",
            name: labels.actual || "",
            renderItem: renderActual,
            encode: { x: [1, 2], y: 0 },
            data: actual,
            silent: true,
          },
          {
            type: "scatter",
            name: labels.milestone || "",
            symbol: "diamond",
            symbolSize: 12,
            data: milestones,
            z: 5,
          },
        ],
      },
      true,
    );
    chart.off("click");
    chart.on("click", (p) => {
      const it = p.data && p.data.item;
      if (it && it.url) window.location.href = it.url;
    });
  }

  function setupFilters() {
    document
      .querySelectorAll("#timeline-filter input[type=checkbox][data-autosubmit]")
      .forEach((el) => el.addEventListener("change", () => el.form && el.form.submit()));
  }

  function start() {
    setupFilters();
    draw();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", () => {
    const el = document.getElementById("work-timeline");
    const chart = el && window.echarts ? window.echarts.getInstanceByDom(el) : null;
    if (chart) chart.resize();
  });
})();
