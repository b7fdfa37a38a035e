// The indicator library's browser side: the per-kind rule editor, the preview curve and the
// weight charts. CSP-safe: no inline handlers, no eval; data arrives in JSON script blocks.
(function () {
  "use strict";

  function readJSON(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent || "null");
    } catch (e) {
      return null;
    }
  }

  function isZh() {
    return !(document.documentElement.lang || "zh").toLowerCase().startsWith("en");
  }

  // ------------------------------------------------------------------ charts

  function chartFor(el) {
    if (!window.echarts || !el) return null;
    return window.echarts.getInstanceByDom(el) || window.echarts.init(el);
  }

  function drawPreview() {
    const el = document.getElementById("preview-chart");
    const data = readJSON("preview-chart-data");
    if (!el) return;
    const chart = chartFor(el);
    if (!chart) return;
    if (!data || !data.x || !data.x.length) {
      chart.clear();
      return;
    }
    const discrete = data.axis === "level" || data.axis === "rank" || data.axis === "done";
    chart.setOption(
      {
        animation: false,
        grid: { left: 44, right: 16, top: 16, bottom: 32 },
        tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : Number(v).toFixed(2)) },
        xAxis: discrete
          ? { type: "category", data: data.x.map((x) => String(x)) }
          : { type: "value", scale: true },
        yAxis: { type: "value", name: isZh() ? "得分" : "score", scale: true },
        series: [
          {
            type: discrete ? "bar" : "line",
            showSymbol: false,
            connectNulls: false,
            data: discrete ? data.y : data.x.map((x, i) => [x, data.y[i]]),
          },
        ],
      },
      true,
    );
  }

  function drawBars(chartId, dataId) {
    const el = document.getElementById(chartId);
    const data = readJSON(dataId);
    if (!el || !data || !data.names || !data.names.length) return;
    const chart = chartFor(el);
    if (!chart) return;
    const series = (data.series || [{ name: "", values: data.weights }]).map((s) => ({
      type: "bar",
      name: s.name,
      data: s.values.map((v) => (v == null ? null : Math.round(v * 10000) / 100)),
    }));
    chart.setOption(
      {
        animation: false,
        legend: series.length > 1 ? {} : undefined,
        grid: { left: 40, right: 16, top: series.length > 1 ? 32 : 16, bottom: 48 },
        tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v.toFixed(2) + "%") },
        xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: series,
      },
      true,
    );
  }

  function markRevision() {
    document.querySelectorAll("#ahp-matrix select.is-invalid").forEach((el) => el.classList.remove("is-invalid"));
    const hint = document.querySelector("[data-revise-cell]");
    const cell = hint ? document.querySelector(`#ahp-matrix select[name="${hint.getAttribute("data-revise-cell")}"]`) : null;
    if (cell) cell.classList.add("is-invalid");
  }

  function drawAll() {
    markRevision();
    drawPreview();
    drawBars("weights-chart", "weights-chart-data");
    drawBars("weight-set-chart", "weight-set-chart-data");
  }

  document.addEventListener("htmx:afterSettle", drawAll);
  window.addEventListener("resize", () => {
    ["preview-chart", "weights-chart", "weight-set-chart"].forEach((id) => {
      const el = document.getElementById(id);
      const chart = el && window.echarts ? window.echarts.getInstanceByDom(el) : null;
      if (chart) chart.resize();
    });
  });

  // ------------------------------------------------------------------ rule editor

  const CHOICE_LABELS_ZH = {
    higher: "越高越好",
    lower: "越低越好",
    inverse: "T/A（反比）",
    linear: "1+(T−A)/T（线性）",
    each: "逐个里程碑",
    count: "按完成个数",
  };

  function labelOf(p) {
    return isZh() ? p.label_zh : p.label_en;
  }

  function clone(v) {
    return JSON.parse(JSON.stringify(v));
  }

  function setupRuleEditor() {
    const box = document.getElementById("rule-fields");
    const select = document.querySelector("[data-rule-kind]");
    const textarea = document.querySelector("[data-rule-json]");
    if (!box || !select || !textarea) return;
    const kinds = readJSON("rule-kinds") || [];
    const errors = readJSON("rule-errors") || {};
    const jsonBox = document.getElementById("rule-json-box");
    const byKind = {};
    kinds.forEach((k) => (byKind[k.kind] = k));
    let spec = {};
    let jsonVisible = false;

    function parseTextarea() {
      try {
        const value = JSON.parse(textarea.value || "{}");
        return value && typeof value === "object" && !Array.isArray(value) ? value : null;
      } catch (e) {
        return null;
      }
    }

    function showJson(show) {
      jsonVisible = show;
      if (jsonBox) jsonBox.hidden = !show;
    }

    const directionField = document.getElementById("id_direction");

    function hasDirection() {
      const info = byKind[select.value];
      return !!(info && info.parameters.some((p) => p.name === "direction"));
    }

    function sync() {
      spec.kind = select.value;
      if (directionField && hasDirection()) spec.direction = directionField.value;
      textarea.value = JSON.stringify(spec, null, 2);
      document.body.dispatchEvent(new CustomEvent("rule-changed"));
    }

    function errorFor(path, control) {
      const message = errors[path];
      if (!message) return null;
      control.classList.add("is-invalid");
      const div = document.createElement("div");
      div.className = "invalid-feedback d-block";
      div.textContent = message;
      return div;
    }

    function numberInput(value, onChange, step) {
      const input = document.createElement("input");
      input.type = "number";
      input.step = step || "any";
      input.className = "form-control form-control-sm";
      if (value !== null && value !== undefined && value !== "column") input.value = value;
      input.addEventListener("input", () => onChange(input.value === "" ? null : Number(input.value)));
      return input;
    }

    function control(p, value, path, onChange) {
      const wrap = document.createElement("div");
      let input;
      if (p.type === "number" || p.type === "integer") {
        input = numberInput(value, (v) => onChange(v === null && !p.nullable ? undefined : v), p.type === "integer" ? "1" : "any");
        if (p.nullable) input.placeholder = box.dataset.labelEmpty || "";
        wrap.appendChild(input);
      } else if (p.type === "number_or_column") {
        const group = document.createElement("div");
        group.className = "input-group input-group-sm";
        const mode = document.createElement("select");
        mode.className = "form-select form-select-sm";
        const optFixed = new Option(box.dataset.labelFixed || "fixed", "fixed");
        const optColumn = new Option(box.dataset.labelColumn || "column", "column");
        mode.add(optFixed);
        mode.add(optColumn);
        if (p.nullable) mode.add(new Option(box.dataset.labelEmpty || "none", "none"));
        mode.value = value === "column" ? "column" : value === null || value === undefined ? (p.nullable ? "none" : "column") : "fixed";
        const fixed = numberInput(value, (v) => {
          if (mode.value === "fixed") onChange(v === null ? undefined : v);
        });
        fixed.hidden = mode.value !== "fixed";
        mode.addEventListener("change", () => {
          fixed.hidden = mode.value !== "fixed";
          if (mode.value === "column") onChange("column");
          else if (mode.value === "none") onChange(null);
          else onChange(fixed.value === "" ? undefined : Number(fixed.value));
        });
        group.appendChild(mode);
        group.appendChild(fixed);
        wrap.appendChild(group);
        input = mode;
      } else if (p.type === "boolean") {
        const label = document.createElement("label");
        label.className = "form-check form-switch m-0";
        input = document.createElement("input");
        input.type = "checkbox";
        input.className = "form-check-input";
        input.checked = !!value;
        input.addEventListener("change", () => onChange(input.checked));
        label.appendChild(input);
        wrap.appendChild(label);
      } else if (p.type === "choice") {
        input = document.createElement("select");
        input.className = "form-select form-select-sm";
        (p.choices || []).forEach((c) => input.add(new Option(isZh() ? CHOICE_LABELS_ZH[c] || c : c, c)));
        input.value = value === undefined || value === null ? p.default : value;
        input.addEventListener("change", () => onChange(input.value));
        wrap.appendChild(input);
      } else if (p.type === "numbers") {
        input = document.createElement("input");
        input.type = "text";
        input.className = "form-control form-control-sm";
        input.value = Array.isArray(value) ? value.join(", ") : "";
        input.addEventListener("input", () => {
          const parts = input.value.split(/[,，\s]+/).filter((s) => s !== "");
          onChange(parts.map((s) => (isNaN(Number(s)) ? s : Number(s))));
        });
        wrap.appendChild(input);
      } else {
        input = document.createElement("input");
        input.type = "text";
        input.className = "form-control form-control-sm";
        input.value = value === undefined || value === null ? "" : value;
        input.addEventListener("input", () => onChange(input.value));
        wrap.appendChild(input);
      }
      input.dataset.path = path;
      const err = errorFor(path, input);
      if (err) wrap.appendChild(err);
      return wrap;
    }

    function itemsTable(p, list, path) {
      const wrap = document.createElement("div");
      const table = document.createElement("table");
      table.className = "table table-sm table-vcenter mb-1";
      const head = table.createTHead().insertRow();
      p.items.forEach((c) => {
        const th = document.createElement("th");
        th.textContent = labelOf(c);
        head.appendChild(th);
      });
      head.appendChild(document.createElement("th"));
      const body = table.createTBody();
      list.forEach((item, index) => {
        const row = body.insertRow();
        p.items.forEach((c) => {
          const cell = row.insertCell();
          cell.appendChild(
            control(c, item[c.name], `${path}[${index}].${c.name}`, (v) => {
              if (v === undefined) delete item[c.name];
              else item[c.name] = v;
              sync();
            }),
          );
        });
        const cell = row.insertCell();
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-ghost-danger";
        remove.textContent = box.dataset.labelRemove || "×";
        remove.addEventListener("click", () => {
          list.splice(index, 1);
          sync();
          render();
        });
        cell.appendChild(remove);
      });
      wrap.appendChild(table);
      const add = document.createElement("button");
      add.type = "button";
      add.className = "btn btn-sm";
      add.textContent = box.dataset.labelAdd || "+";
      add.addEventListener("click", () => {
        const blank = {};
        p.items.forEach((c) => {
          if (c.default !== null && c.default !== undefined && c.default !== "") blank[c.name] = c.default;
          else if (c.nullable) blank[c.name] = null;
        });
        list.push(blank);
        sync();
        render();
      });
      wrap.appendChild(add);
      const err = errors[path];
      if (err) {
        const div = document.createElement("div");
        div.className = "invalid-feedback d-block";
        div.textContent = err;
        wrap.appendChild(div);
      }
      return wrap;
    }

    function render() {
      box.textContent = "";
      const info = byKind[select.value];
      if (!info) return;
      const grid = document.createElement("div");
      grid.className = "row g-2";
      info.parameters.forEach((p) => {
        if (p.name === "direction" && directionField) return; // follows the indicator's direction
        const col = document.createElement("div");
        const label = document.createElement("label");
        label.className = "form-label small mb-1";
        label.textContent = labelOf(p);
        if (p.type === "items") {
          col.className = "col-12";
          col.appendChild(label);
          if (info.kind === "bars" && p.name === "levels") {
            const note = document.createElement("div");
            note.className = "text-secondary small";
            note.textContent = isZh() ? "等级和分值取自下方的“行为锚定等级”表。" : "The levels and their points come from the table of anchored levels below.";
            col.appendChild(note);
          } else {
            if (!Array.isArray(spec[p.name])) spec[p.name] = [];
            col.appendChild(itemsTable(p, spec[p.name], p.name));
          }
        } else {
          col.className = p.type === "text" && p.name === "expression" ? "col-12" : "col-md-4 col-6";
          col.appendChild(label);
          col.appendChild(
            control(p, p.name in spec ? spec[p.name] : p.default, p.name, (v) => {
              if (v === undefined) delete spec[p.name];
              else spec[p.name] = v;
              sync();
            }),
          );
        }
        grid.appendChild(col);
      });
      box.appendChild(grid);
    }

    function resetToExample() {
      const info = byKind[select.value];
      spec = clone((info && info.example) || {});
      spec.kind = select.value;
      sync();
      render();
    }

    const parsed = parseTextarea();
    if (parsed === null) {
      showJson(true);
    } else {
      spec = parsed;
      if (spec.kind && byKind[spec.kind] && spec.kind !== select.value) select.value = spec.kind;
      const onlyJsonErrors = textarea.classList.contains("is-invalid") && !Object.keys(errors).length;
      showJson(onlyJsonErrors);
      render();
    }

    if (directionField) {
      directionField.addEventListener("change", () => {
        if (hasDirection()) sync();
      });
    }
    select.addEventListener("change", () => {
      const current = parseTextarea();
      if (!current || current.kind !== select.value) resetToExample();
    });
    textarea.addEventListener("input", () => {
      const value = parseTextarea();
      if (value !== null) {
        spec = value;
        if (spec.kind && byKind[spec.kind]) select.value = spec.kind;
        render();
      }
    });
    const example = document.querySelector("[data-rule-example]");
    if (example) example.addEventListener("click", resetToExample);
    const toggle = document.querySelector("[data-rule-toggle-json]");
    if (toggle) toggle.addEventListener("click", () => showJson(!jsonVisible));
  }

  // ------------------------------------------------------------------ weighting page

  function setupIndicatorPicker() {
    const filter = document.getElementById("pick-filter");
    if (!filter) return;
    filter.addEventListener("input", () => {
      const term = filter.value.trim().toLowerCase();
      document.querySelectorAll("[data-pick]").forEach((el) => {
        el.hidden = term !== "" && !(el.getAttribute("data-pick") || "").toLowerCase().includes(term);
      });
    });
  }

  function start() {
    setupRuleEditor();
    setupIndicatorPicker();
    drawAll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
