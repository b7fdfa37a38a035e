from django.http import HttpRequest, HttpResponse


def audit_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # written by the audit pages work
