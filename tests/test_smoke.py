from jixiao.org.selectors import people_visible_to


def test_scopes_follow_grants_and_reporting_lines(org):
    names = lambda u: set(people_visible_to(org.users[u]).values_list("name", flat=True))  # noqa: E731
    assert names("employee") == {"李文"}
    assert names("head") == {"王主任", "李文", "赵敏"}
    assert names("outsider") == {"陈晨"}
    assert len(names("perfadmin")) == 4
    assert len(names("sysadmin")) == 4
