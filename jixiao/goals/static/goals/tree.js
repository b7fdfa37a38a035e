// The alignment tree: ECharts tree series from the JSON the page embeds. Each node is coloured
// by its progress against the elapsed period; a click opens the goal.
(function () {
  "use strict";
  const el = document.querySelector("[data-tree-chart]");
  const source = document.getElementById("tree-data");
  if (!el || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent || "{}");
  const chart = window.echarts.init(el, null, { locale: document.documentElement.lang.startsWith("zh") ? "ZH" : "EN" });
  chart.setOption({
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        const d = p.data || {};
        const owner = d.owner ? `${d.owner}<br>` : "";
        return `${owner}${p.name}<br>${d.value || ""}`;
      },
    },
    series: [
      {
        type: "tree",
        data: [data],
        top: "2%",
        left: "12%",
        bottom: "2%",
        right: "22%",
        symbol: "circle",
        symbolSize: 12,
        initialTreeDepth: 3,
        expandAndCollapse: true,
        animationDuration: 300,
        label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 12,
          formatter: (p) => (p.data && p.data.value ? `${p.name}  ${p.data.value}` : p.name) },
        leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } },
      },
    ],
  });
  chart.on("click", (p) => {
    if (p.data && p.data.url && p.event && p.event.event && (p.event.event.ctrlKey || p.event.event.metaKey || p.event.event.detail > 1)) {
      window.location.href = p.data.url;
    }
  });
  chart.on("dblclick", (p) => {
    if (p.data && p.data.url) window.location.href = p.data.url;
  });
  window.addEventListener("resize", () => chart.resize());
})();
