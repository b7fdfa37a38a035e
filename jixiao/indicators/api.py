"""The indicator library API: list, detail, create, change, (de)activate; evaluate a rule or a
formula on posted values; AHP; weight sets.

Thin, like the pages: access helper → schema → one service → serialize. Every signed-in
caller reads; system and performance administrators write (others get 403).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import PageParams, paginate
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.engine.formula import FormulaError
from jixiao.engine.rules import RuleSpecError
from jixiao.engine.weights import AHPError, RITable, ahp, parse_judgement
from jixiao.indicators import rules, services
from jixiao.indicators.permissions import can_manage_library
from jixiao.indicators.schemas import (
    ActiveIn,
    AhpIn,
    AhpOut,
    AhpRevisionOut,
    AhpWeightOut,
    BarsLevelIO,
    EvaluateIn,
    EvaluateOut,
    IndicatorDetailOut,
    IndicatorFilters,
    IndicatorIn,
    IndicatorOut,
    IndicatorPage,
    IndicatorPatch,
    IndicatorSavedOut,
    RiTableOut,
    RowErrorOut,
    VersionOut,
    WeightItemOut,
    WeightSetDetailOut,
    WeightSetOut,
    WeightSetPage,
)
from jixiao.indicators.selectors import (
    IndicatorFilter,
    get_indicator_for_user,
    get_weight_set_for_user,
    indicator_versions,
    indicators_filtered,
    weight_sets_visible_to,
)
from jixiao.indicators.usage import indicator_ids_in_use
from jixiao.indicators.weighting import ri_tables
from jixiao.org.access import scope_for

router = Router(tags=["indicators"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _require_manage(user: User) -> None:
    if not can_manage_library(user):
        raise forbidden()


def _detail(user: User, indicator_id: int, **extra: Any) -> dict[str, Any]:
    indicator = get_indicator_for_user(user, indicator_id)
    versions = [
        VersionOut(
            id=v.pk,
            revision=v.revision,
            is_latest=v.is_latest,
            created_at=v.created_at,
            created_by=v.created_by.get_username() if v.created_by else None,
            change_note=v.change_note,
        )
        for v in indicator_versions(indicator)
    ]
    return {
        **IndicatorOut.fields_of(indicator),
        "bars_levels": [BarsLevelIO.of(b) for b in indicator.bars_levels.all()],
        "in_use": bool(indicator_ids_in_use([indicator.pk])),
        "versions": versions,
        **extra,
    }


def _levels(items: list[BarsLevelIO]) -> list[services.BarsLevelData]:
    return [
        services.BarsLevelData(
            level=b.level, title=b.title, description=b.description, points=Decimal(str(b.points))
        )
        for b in items
    ]


@router.get(
    "/indicators",
    response={200: IndicatorPage, **ERROR_RESPONSES},
    summary="List indicators (latest versions)",
)
def indicator_list(
    request: HttpRequest, filters: Query[IndicatorFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    user = api_user(request)
    active = "" if filters.active is None else ("1" if filters.active else "0")
    qs = indicators_filtered(
        user,
        IndicatorFilter(
            q=filters.q,
            category=_plain(filters.category) or "",
            source_kind=_plain(filters.source_kind) or "",
            direction=_plain(filters.direction) or "",
            rule_kind=filters.rule_kind.strip(),
            active=active,
        ),
    )
    if filters.code.strip():
        qs = qs.filter(code=filters.code.strip())
    return paginate(qs.order_by("category", "code", "pk"), paging, IndicatorOut.of)


@router.get(
    "/indicators/weight-sets",
    response={200: WeightSetPage, **ERROR_RESPONSES},
    tags=["weights"],
    summary="List weight sets",
)
def weight_set_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    return paginate(weight_sets_visible_to(api_user(request)), paging, WeightSetOut.of)


@router.get(
    "/indicators/weight-sets/{int:weight_set_id}",
    response={200: WeightSetDetailOut, **ERROR_RESPONSES},
    tags=["weights"],
    summary="One weight set",
)
def weight_set_detail(request: HttpRequest, weight_set_id: int) -> WeightSetDetailOut:
    ws = get_weight_set_for_user(api_user(request), weight_set_id)
    return WeightSetDetailOut(
        **WeightSetOut.fields_of(ws),
        items=[WeightItemOut.of(i) for i in ws.items.all()],
        matrix=ws.matrix or [],
        lambda_max=ws.lambda_max,
        consistency_index=ws.consistency_index,
        ri_values=ws.ri_table or [],
    )


@router.get(
    "/indicators/{int:indicator_id}",
    response={200: IndicatorDetailOut, **ERROR_RESPONSES},
    summary="One indicator version",
)
def indicator_detail(request: HttpRequest, indicator_id: int) -> IndicatorDetailOut:
    """Any version by id, with its BARS levels and the list of all versions of its code."""
    return IndicatorDetailOut(**_detail(api_user(request), indicator_id))


@router.post(
    "/indicators",
    response={201: IndicatorDetailOut, **WRITE_RESPONSES},
    summary="Create an indicator",
)
def indicator_create(request: HttpRequest, payload: IndicatorIn) -> Status[IndicatorDetailOut]:
    user = api_user(request)
    _require_manage(user)
    data = services.IndicatorData(
        code=payload.code,
        name=payload.name,
        category=_plain(payload.category),
        definition=payload.definition,
        standard=payload.standard,
        unit=payload.unit,
        direction=_plain(payload.direction),
        source_kind=_plain(payload.source_kind),
        source_detail=payload.source_detail,
        rule=payload.rule,
        default_weight=_decimal(payload.default_weight),
        period=_plain(payload.period),
        responsible=payload.responsible,
        bars_levels=_levels(payload.bars_levels),
    )
    indicator = services.indicator_create(
        actor=_actor(request, user), scope=scope_for(user), data=data, reason=payload.reason
    )
    return Status(201, IndicatorDetailOut(**_detail(user, indicator.pk)))


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


@router.patch(
    "/indicators/{int:indicator_id}",
    response={200: IndicatorSavedOut, **WRITE_RESPONSES},
    summary="Change an indicator",
)
def indicator_update(
    request: HttpRequest, indicator_id: int, payload: IndicatorPatch
) -> IndicatorSavedOut:
    """Fields not sent keep their values; `version` must be the one you read (else 409).

    When the version is in use, the change creates a new version (with a new id, returned
    here with `new_version: true`); users of the old version keep it. Only the latest version
    can be changed (else 409 `not_latest_version`).
    """
    user = api_user(request)
    current = get_indicator_for_user(user, indicator_id, write=True)
    sent = payload.model_dump(exclude_unset=True)
    data = services.IndicatorData.of(current)
    for name in (
        "name",
        "category",
        "definition",
        "standard",
        "unit",
        "direction",
        "source_kind",
        "source_detail",
        "rule",
        "period",
        "responsible",
    ):
        if name in sent:
            setattr(data, name, _plain(getattr(payload, name)))
    if "default_weight" in sent and payload.default_weight is not None:
        data.default_weight = _decimal(payload.default_weight)
    if "bars_levels" in sent and payload.bars_levels is not None:
        data.bars_levels = _levels(payload.bars_levels)
    outcome = services.indicator_update(
        actor=_actor(request, user),
        scope=scope_for(user),
        indicator_id=current.pk,
        expected_version=payload.version,
        data=data,
        reason=payload.reason,
    )
    return IndicatorSavedOut(**_detail(user, outcome.indicator.pk, new_version=outcome.new_version))


def _set_active(
    request: HttpRequest, indicator_id: int, payload: ActiveIn | None, active: bool
) -> IndicatorDetailOut:
    user = api_user(request)
    current = get_indicator_for_user(user, indicator_id, write=True)
    services.indicator_set_active(
        actor=_actor(request, user),
        scope=scope_for(user),
        indicator_id=current.pk,
        active=active,
        reason=payload.reason if payload else "",
    )
    return IndicatorDetailOut(**_detail(user, current.pk))


@router.post(
    "/indicators/{int:indicator_id}/deactivate",
    response={200: IndicatorDetailOut, **WRITE_RESPONSES},
    summary="Deactivate an indicator",
)
def indicator_deactivate(
    request: HttpRequest, indicator_id: int, payload: ActiveIn | None = None
) -> IndicatorDetailOut:
    return _set_active(request, indicator_id, payload, active=False)


@router.post(
    "/indicators/{int:indicator_id}/activate",
    response={200: IndicatorDetailOut, **WRITE_RESPONSES},
    summary="Reactivate an indicator",
)
def indicator_activate(
    request: HttpRequest, indicator_id: int, payload: ActiveIn | None = None
) -> IndicatorDetailOut:
    return _set_active(request, indicator_id, payload, active=True)


# ---------------------------------------------------------------- evaluation


@router.post(
    "/indicators/evaluate",
    response={200: EvaluateOut, **ERROR_RESPONSES},
    tags=["evaluation"],
    summary="Evaluate a rule or a formula on posted values",
)
def evaluate(request: HttpRequest, payload: EvaluateIn) -> EvaluateOut:
    """Send exactly one of `rule` (a spec), `formula` or `indicator_id`, and `columns`.

    Scores come back one per row, null where a row cannot be scored, with the reason in
    `errors`. A rule spec or formula that is not valid answers 400 with each problem on its
    field (`rule.bands[1].max`, `formula`). A formula's variables are the posted column names:
    any other `[name]` answers 400 on `formula` with code `unknown_variable`, naming the
    closest posted name. At most 10,000 rows per request. Nothing is saved.
    """
    user = api_user(request)
    given = [x for x in (payload.rule, payload.formula, payload.indicator_id) if x is not None]
    if len(given) != 1:
        raise validation_failed(
            [
                FieldError(
                    None,
                    "one_of",
                    _("Send exactly one of rule, formula and indicator_id."),
                )
            ]
        )
    try:
        if payload.formula is not None:
            problems = rules.formula_errors(payload.formula, variables=payload.columns)
            if problems:
                raise validation_failed(problems)
            result = rules.evaluate_formula(payload.formula, payload.columns)
        else:
            spec: Any
            if payload.indicator_id is not None:
                spec = get_indicator_for_user(user, payload.indicator_id).rule
            else:
                spec = payload.rule
            problems = rules.rule_errors(spec)
            if problems:
                raise validation_failed(problems)
            result = rules.evaluate_rule(spec, payload.columns)
    except rules.EvaluationInputError as error:
        raise validation_failed([FieldError(error.field, error.code, error.message)]) from None
    except (FormulaError, RuleSpecError) as error:  # defensive: validated above
        raise DomainError("invalid", str(error)) from None
    return EvaluateOut(
        rows=len(result.scores),
        scores=result.scores,
        errors=[RowErrorOut(**e.as_dict()) for e in result.errors],
        inputs=list(result.inputs),
        description=result.description,
    )


@router.post(
    "/indicators/weights/ahp",
    response={200: AhpOut, **ERROR_RESPONSES},
    tags=["weights"],
    summary="AHP weights and consistency of a comparison matrix",
)
def ahp_weights(request: HttpRequest, payload: AhpIn) -> AhpOut:
    """Weights, λmax, CI, CR (against the chosen RI table) and the comparison to revise."""
    api_user(request)
    errors: list[FieldError] = []
    matrix: list[list[float]] = []
    for i, row in enumerate(payload.matrix):
        values = []
        for j, cell in enumerate(row):
            try:
                values.append(parse_judgement(cell) if isinstance(cell, str) else float(cell))
            except ValueError:
                errors.append(
                    FieldError(
                        f"matrix[{i}][{j}]", "not_number", _("Enter a number such as 3 or 1/3.")
                    )
                )
                values.append(1.0)
        matrix.append(values)
    table = _ri_table(payload, errors)
    if errors or table is None:
        raise validation_failed(errors)
    try:
        result = ahp(
            matrix,
            payload.names,
            method="geometric" if payload.method == "geometric" else "eigenvector",
            ri_table=table,
        )
    except AHPError as error:
        lang = rules.language()
        raise validation_failed(
            [FieldError(i.path or "matrix", i.code, i.message(lang)) for i in error.issues]
        ) from None
    except ValueError as error:
        raise validation_failed([FieldError("names", "invalid", str(error))]) from None
    revise = None
    if result.revise is not None:
        r = result.revise.as_json(list(result.names))
        revise = AhpRevisionOut(
            row=str(r["row"]),
            column=str(r["column"]),
            value=float(result.revise.value),
            suggested=float(result.revise.suggested),
            suggested_scale=result.revise.suggested_scale,
        )
    return AhpOut(
        weights=[
            AhpWeightOut(name=n, weight=w)
            for n, w in zip(result.names, result.weights, strict=True)
        ],
        lambda_max=result.lambda_max,
        ci=result.ci,
        ri=result.ri,
        cr=result.cr,
        ri_table=result.ri_table,
        ri_values=list(result.ri_values),
        consistent=result.consistent,
        revise=revise,
    )


def _ri_table(payload: AhpIn, errors: list[FieldError]) -> RITable | None:
    """The table posted as `ri_values`, else the one named by `ri_table`."""
    if payload.ri_values is not None:
        try:
            return RITable("custom", tuple(payload.ri_values), "ri_values")
        except AHPError as error:
            lang = rules.language()
            for i in error.issues:
                path = i.path.replace("ri_table.values", "ri_values")
                errors.append(FieldError(path, i.code, i.message(lang)))
            return None
    tables = ri_tables()
    if payload.ri_table not in tables:
        errors.append(
            FieldError(
                "ri_table",
                "invalid_choice",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(tables)},
            )
        )
        return None
    return tables[payload.ri_table]


@router.get(
    "/indicators/weights/ri-tables",
    response={200: list[RiTableOut], **ERROR_RESPONSES},
    tags=["weights"],
    summary="The random-index tables AHP can use",
)
def ri_table_list(request: HttpRequest) -> list[RiTableOut]:
    """The built-in tables (saaty, extended_15) and those configured in JIXIAO_AHP_RI_TABLES."""
    api_user(request)
    return [
        RiTableOut(name=t.name, source=t.source, values=list(t.values))
        for t in ri_tables().values()
    ]
