"""Every SQL table, in one place. Imports only ``liner.kit``."""

from liner.models.base import Base
from liner.models.catalog import (
    Artist,
    ArtistCreditRow,
    ArtistExternalId,
    ArtistName,
    AssetRow,
    AvailabilityRow,
    ContributorRow,
    Episode,
    IdRedirect,
    Provenance,
    Release,
    ReleaseExternalId,
    RelinkGroup,
    Show,
    Track,
)
from liner.models.ops import ApiKey, OutboxRow, ProjectorState, ReadDocument

__all__ = [
    "ApiKey",
    "Artist",
    "ArtistCreditRow",
    "ArtistExternalId",
    "ArtistName",
    "AssetRow",
    "AvailabilityRow",
    "Base",
    "ContributorRow",
    "Episode",
    "IdRedirect",
    "OutboxRow",
    "ProjectorState",
    "Provenance",
    "ReadDocument",
    "Release",
    "ReleaseExternalId",
    "RelinkGroup",
    "Show",
    "Track",
]

from liner.models.deliveries import Delivery, DeliveryBatch, DeliveryHead
from liner.models.feeds import Feed, FeedFetch

__all__ += ["Delivery", "DeliveryBatch", "DeliveryHead"]
__all__ += ["Feed", "FeedFetch"]
