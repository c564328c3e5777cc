"""Per-object access rules: an owner sees and manages only themself; an admin everything."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access import Principal, Role, can_manage_owner_vehicles, can_read_owner, ensure
from domain.errors import AccessDenied, DomainError

OWNER_ID = "0193a1b2c3d4e5f607182930"
OTHER_OWNER_ID = "0193a1b2c3d4e5f607182931"

# (actor, owner whose data is asked for, allowed?) for every role.
CASES = [
    pytest.param(Principal(Role.OWNER, OWNER_ID), OWNER_ID, True, id="owner-self"),
    pytest.param(Principal(Role.OWNER, OWNER_ID), OTHER_OWNER_ID, False, id="owner-other"),
    # Staff and analysts are not owners, even when their subject happens to be an owner's id.
    pytest.param(Principal(Role.SERVICE_STAFF, "staff-1", center_id="c-1"), OWNER_ID, False,
                 id="service-staff"),
    pytest.param(Principal(Role.SERVICE_STAFF, OWNER_ID), OWNER_ID, False,
                 id="service-staff-with-owner-subject"),
    pytest.param(Principal(Role.OEM_ANALYST, "analyst-1"), OWNER_ID, False, id="oem-analyst"),
    pytest.param(Principal(Role.OEM_ANALYST, OWNER_ID), OWNER_ID, False,
                 id="oem-analyst-with-owner-subject"),
    pytest.param(Principal(Role.ADMIN, "admin-1"), OWNER_ID, True, id="admin"),
    pytest.param(Principal(Role.ADMIN, "admin-1"), OTHER_OWNER_ID, True, id="admin-any-owner"),
    # The gateway forwards telemetry for every car and reads no one's data.
    pytest.param(Principal(Role.VEHICLE_GATEWAY, OWNER_ID), OWNER_ID, False,
                 id="vehicle-gateway-with-owner-subject"),
]


def test_the_cases_cover_every_role() -> None:
    covered = {case.values[0].role for case in CASES if isinstance(case.values[0], Principal)}
    assert covered == set(Role)


@pytest.mark.parametrize(("actor", "owner_id", "allowed"), CASES)
def test_who_may_read_an_owner(actor: Principal, owner_id: str, allowed: bool) -> None:
    assert can_read_owner(actor, owner_id) is allowed


@pytest.mark.parametrize(("actor", "owner_id", "allowed"), CASES)
def test_who_may_manage_an_owners_vehicles(actor: Principal, owner_id: str, allowed: bool) -> None:
    assert can_manage_owner_vehicles(actor, owner_id) is allowed


@given(st.sampled_from([Role.SERVICE_STAFF, Role.OEM_ANALYST]), st.text(), st.text())
def test_staff_and_analysts_never_reach_owner_data(role: Role, subject: str, owner: str) -> None:
    actor = Principal(role, subject)
    assert not can_read_owner(actor, owner)
    assert not can_manage_owner_vehicles(actor, owner)


@given(st.text(), st.text())
def test_an_owner_reaches_exactly_their_own_data(subject: str, owner: str) -> None:
    actor = Principal(Role.OWNER, subject)
    assert can_read_owner(actor, owner) is (subject == owner)
    assert can_manage_owner_vehicles(actor, owner) is (subject == owner)


@pytest.mark.parametrize("role", list(Role))
def test_only_an_owner_principal_has_an_owner_id(role: Role) -> None:
    actor = Principal(role, "subject-1")
    assert actor.owner_id == ("subject-1" if role is Role.OWNER else None)


@pytest.mark.parametrize("role", list(Role))
def test_only_an_admin_is_admin(role: Role) -> None:
    assert Principal(role, "subject-1").is_admin is (role is Role.ADMIN)


def test_ensure_lets_an_allowed_action_through() -> None:
    ensure(True, "see this owner")


def test_ensure_refuses_a_disallowed_action_with_access_denied() -> None:
    with pytest.raises(AccessDenied, match=r"^not allowed to see this owner$") as refused:
        ensure(False, "see this owner")
    assert refused.value.code == "FORBIDDEN"
    assert isinstance(refused.value, DomainError)


def test_roles_parse_from_their_token_names() -> None:
    assert [Role(name) for name in ("OWNER", "SERVICE_STAFF", "OEM_ANALYST", "ADMIN")] == [
        Role.OWNER, Role.SERVICE_STAFF, Role.OEM_ANALYST, Role.ADMIN,
    ]
    with pytest.raises(ValueError, match="SUPERUSER"):
        Role("SUPERUSER")
