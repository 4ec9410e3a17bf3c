"""The peer: the same scenarios written the way most teams would, FastAPI + SQLAlchemy 2 async ORM + pydantic.

Declarative models, a session per request from a dependency, a token dependency that looks the token up on
every request, `selectinload` for the relations, a separate `count()` for pagination, and pydantic response
models (`from_attributes`) with serializers for hashed ids and epoch timestamps. No hand tuning: this is
the baseline the server's throughput is compared with. It runs from its own virtualenv
(benchmarks/.work/peer-venv, see requirements.txt) and imports nothing from the project.

Run: PEER_DATABASE_URL=postgresql://... uvicorn benchmarks.peers.fastapi_sqla:app
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from hashids import Hashids
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    and_,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload
from sqlalchemy.types import DateTime

APP_URL = os.environ.get("APP_URL", "http://127.0.0.1:8000")


def _sqla_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


engine = create_async_engine(
    _sqla_url(os.environ.get("PEER_DATABASE_URL", "postgresql://localhost/postgres")),
    pool_size=int(os.environ.get("DB_POOL_MAX", "10")),
    max_overflow=0,
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
hashids = Hashids(salt=os.environ.get("HASH_SALT", ""), min_length=10)
app = FastAPI(title="peer")


# ---- models ------------------------------------------------------------------------------------------
class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB)


class CompanyUser(Base):
    __tablename__ = "company_users"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    is_owner: Mapped[bool] = mapped_column(Boolean)
    is_locked: Mapped[bool] = mapped_column(Boolean)


class CompanyToken(Base):
    __tablename__ = "company_tokens"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary)
    is_deleted: Mapped[bool] = mapped_column(Boolean)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Client(Base):
    __tablename__ = "clients"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_user_id: Mapped[int | None] = mapped_column(BigInteger)
    group_settings_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(Text, default="")
    private_notes: Mapped[str] = mapped_column(Text, default="")
    public_notes: Mapped[str] = mapped_column(Text, default="")
    balance: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=0)
    paid_to_date: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=0)
    payment_balance: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=0)
    credit_balance: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=0)
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    size_id: Mapped[int | None] = mapped_column(Integer)
    industry_id: Mapped[int | None] = mapped_column(Integer)
    client_hash: Mapped[str] = mapped_column(Text, default="")
    address1: Mapped[str] = mapped_column(Text, default="")
    address2: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(Text, default="")
    country_id: Mapped[int | None] = mapped_column(Integer)
    shipping_address1: Mapped[str] = mapped_column(Text, default="")
    shipping_address2: Mapped[str] = mapped_column(Text, default="")
    shipping_city: Mapped[str] = mapped_column(Text, default="")
    shipping_state: Mapped[str] = mapped_column(Text, default="")
    shipping_postal_code: Mapped[str] = mapped_column(Text, default="")
    shipping_country_id: Mapped[int | None] = mapped_column(Integer)
    custom_value1: Mapped[str] = mapped_column(Text, default="")
    custom_value2: Mapped[str] = mapped_column(Text, default="")
    custom_value3: Mapped[str] = mapped_column(Text, default="")
    custom_value4: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    vat_number: Mapped[str] = mapped_column(Text, default="")
    id_number: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[str | None] = mapped_column(Text)
    has_valid_vat_number: Mapped[bool] = mapped_column(Boolean, default=False)
    is_tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    routing_id: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(Text, default="")
    tax_data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    e_invoice: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    contacts: Mapped[list[ClientContact]] = relationship(
        primaryjoin="and_(Client.company_id == ClientContact.company_id, Client.id == ClientContact.client_id, "
        "ClientContact.deleted_at.is_(None))",
        order_by="(ClientContact.is_primary.desc(), ClientContact.id)",
        viewonly=True,
    )
    documents: Mapped[list[Document]] = relationship(
        primaryjoin="and_(Client.company_id == foreign(Document.company_id), "
        "Client.id == foreign(Document.documentable_id), Document.documentable_type == 'clients')",
        order_by="Document.id",
        viewonly=True,
    )
    gateway_tokens: Mapped[list[ClientGatewayToken]] = relationship(
        primaryjoin="and_(Client.company_id == ClientGatewayToken.company_id, "
        "Client.id == ClientGatewayToken.client_id)",
        order_by="ClientGatewayToken.id",
        viewonly=True,
    )


class ClientContact(Base):
    __tablename__ = "client_contacts"
    __table_args__ = (ForeignKeyConstraint(["company_id", "client_id"], ["clients.company_id", "clients.id"]),)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(Text, default="")
    last_name: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    send_email: Mapped[bool] = mapped_column(Boolean, default=True)
    cc_only: Mapped[bool] = mapped_column(Boolean, default=False)
    can_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_key: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text, default="")
    last_login: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    custom_value1: Mapped[str] = mapped_column(Text, default="")
    custom_value2: Mapped[str] = mapped_column(Text, default="")
    custom_value3: Mapped[str] = mapped_column(Text, default="")
    custom_value4: Mapped[str] = mapped_column(Text, default="")
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClientGatewayToken(Base):
    __tablename__ = "client_gateway_tokens"
    __table_args__ = (ForeignKeyConstraint(["company_id", "client_id"], ["clients.company_id", "clients.id"]),)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    client_id: Mapped[int] = mapped_column(BigInteger)
    company_gateway_id: Mapped[int | None] = mapped_column(BigInteger)
    token: Mapped[str] = mapped_column(Text)
    gateway_customer_reference: Mapped[str] = mapped_column(Text)
    gateway_type_id: Mapped[str] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(Boolean)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONB)
    is_deleted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Document(Base):
    __tablename__ = "documents"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_user_id: Mapped[int | None] = mapped_column(BigInteger)
    documentable_type: Mapped[str] = mapped_column(Text)
    documentable_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    disk: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean)
    is_public: Mapped[bool] = mapped_column(Boolean)
    is_deleted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (ForeignKeyConstraint(["company_id", "client_id"], ["clients.company_id", "clients.id"]),)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    assigned_user_id: Mapped[int | None] = mapped_column(BigInteger)
    client_id: Mapped[int] = mapped_column(BigInteger)
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    vendor_id: Mapped[int | None] = mapped_column(BigInteger)
    design_id: Mapped[int | None] = mapped_column(BigInteger)
    recurring_id: Mapped[int | None] = mapped_column(BigInteger)
    subscription_id: Mapped[int | None] = mapped_column(BigInteger)
    status_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(Text)
    po_number: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    public_notes: Mapped[str] = mapped_column(Text)
    private_notes: Mapped[str] = mapped_column(Text)
    footer: Mapped[str] = mapped_column(Text)
    tax_name1: Mapped[str] = mapped_column(Text)
    tax_name2: Mapped[str] = mapped_column(Text)
    tax_name3: Mapped[str] = mapped_column(Text)
    custom_value1: Mapped[str] = mapped_column(Text)
    custom_value2: Mapped[str] = mapped_column(Text)
    custom_value3: Mapped[str] = mapped_column(Text)
    custom_value4: Mapped[str] = mapped_column(Text)
    tax_rate1: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    tax_rate2: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    tax_rate3: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    balance: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    paid_to_date: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    discount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    partial: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    total_taxes: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    exchange_rate: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    custom_surcharge1: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    custom_surcharge2: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    custom_surcharge3: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    custom_surcharge4: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    custom_surcharge_tax1: Mapped[bool] = mapped_column(Boolean)
    custom_surcharge_tax2: Mapped[bool] = mapped_column(Boolean)
    custom_surcharge_tax3: Mapped[bool] = mapped_column(Boolean)
    custom_surcharge_tax4: Mapped[bool] = mapped_column(Boolean)
    uses_inclusive_taxes: Mapped[bool] = mapped_column(Boolean)
    is_amount_discount: Mapped[bool] = mapped_column(Boolean)
    auto_bill_enabled: Mapped[bool] = mapped_column(Boolean)
    date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    partial_due_date: Mapped[dt.date | None] = mapped_column(Date)
    last_sent_date: Mapped[dt.date | None] = mapped_column(Date)
    reminder1_sent: Mapped[dt.date | None] = mapped_column(Date)
    reminder2_sent: Mapped[dt.date | None] = mapped_column(Date)
    reminder3_sent: Mapped[dt.date | None] = mapped_column(Date)
    reminder_last_sent: Mapped[dt.date | None] = mapped_column(Date)
    next_send_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    line_items: Mapped[list[Any]] = mapped_column(JSONB)
    tax_data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    e_invoice: Mapped[dict[str, Any]] = mapped_column(JSONB)
    is_deleted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    client: Mapped[Client | None] = relationship(lazy="noload", viewonly=True)
    invitations: Mapped[list[InvoiceInvitation]] = relationship(
        primaryjoin="and_(Invoice.company_id == InvoiceInvitation.company_id, "
        "Invoice.id == InvoiceInvitation.invoice_id, InvoiceInvitation.deleted_at.is_(None))",
        order_by="InvoiceInvitation.id",
        viewonly=True,
    )
    documents: Mapped[list[Document]] = relationship(
        primaryjoin="and_(Invoice.company_id == foreign(Document.company_id), "
        "Invoice.id == foreign(Document.documentable_id), Document.documentable_type == 'invoices')",
        order_by="Document.id",
        viewonly=True,
    )


class InvoiceInvitation(Base):
    __tablename__ = "invoice_invitations"
    __table_args__ = (ForeignKeyConstraint(["company_id", "invoice_id"], ["invoices.company_id", "invoices.id"]),)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger)
    client_contact_id: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(Text)
    sent_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    viewed_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_status: Mapped[str] = mapped_column(Text)
    email_error: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Activity(Base):
    __tablename__ = "activities"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    activity_type_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    client_id: Mapped[int | None] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(Text, default="")


# ---- schemas -----------------------------------------------------------------------------------------
def encode_id(value: int | None) -> str:
    return "" if value is None else hashids.encode(value)


def epoch(value: datetime | None) -> int:
    return int(value.timestamp()) if value is not None else 0


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int | None
    first_name: str
    last_name: str
    email: str
    phone: str
    is_primary: bool
    is_locked: bool
    send_email: bool
    cc_only: bool
    can_sign: bool
    contact_key: str
    password_hash: str = Field(exclude=True)
    last_login: datetime | None
    custom_value1: str
    custom_value2: str
    custom_value3: str
    custom_value4: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")

    @computed_field
    def link(self) -> str:
        return f"{APP_URL}/client/key_login/{self.contact_key}"

    @computed_field
    def password(self) -> str:
        return "**********" if self.password_hash else ""

    @field_serializer("id", "user_id")
    def _ids(self, v: int | None) -> str:
        return encode_id(v)

    @field_serializer("last_login", "created_at", "updated_at", "archived_at")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int | None
    assigned_user_id: int | None
    name: str
    type: str
    disk: str
    hash: str
    size: int
    width: int
    height: int
    is_default: bool
    is_public: bool
    is_deleted: bool
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")

    @field_serializer("id", "user_id", "assigned_user_id")
    def _ids(self, v: int | None) -> str:
        return encode_id(v)

    @field_serializer("created_at", "updated_at", "archived_at")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)


class GatewayTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    token: str
    gateway_customer_reference: str
    gateway_type_id: str
    company_gateway_id: int | None
    is_default: bool
    meta: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")
    is_deleted: bool

    @field_serializer("id", "company_gateway_id")
    def _ids(self, v: int | None) -> str:
        return encode_id(v)

    @field_serializer("created_at", "updated_at", "archived_at")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int | None
    assigned_user_id: int | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")
    is_deleted: bool
    name: str
    website: str
    private_notes: str
    public_notes: str
    balance: float
    paid_to_date: float
    payment_balance: float
    credit_balance: float
    group_settings_id: int | None
    last_login: datetime | None
    size_id: int | None
    industry_id: int | None
    client_hash: str
    address1: str
    address2: str
    phone: str
    city: str
    state: str
    postal_code: str
    country_id: int | None
    shipping_address1: str
    shipping_address2: str
    shipping_city: str
    shipping_state: str
    shipping_postal_code: str
    shipping_country_id: int | None
    custom_value1: str
    custom_value2: str
    custom_value3: str
    custom_value4: str
    settings: dict[str, Any]
    vat_number: str
    id_number: str
    number: str | None
    has_valid_vat_number: bool
    is_tax_exempt: bool
    routing_id: str
    classification: str
    tax_info: dict[str, Any] = Field(validation_alias="tax_data")
    e_invoice: dict[str, Any]
    locations: list[Any] = []
    contacts: list[ContactOut]
    documents: list[DocumentOut]
    gateway_tokens: list[GatewayTokenOut]

    @computed_field
    def display_name(self) -> str:
        if len(self.name) > 1:
            return self.name
        for c in self.contacts:
            if c.first_name or c.last_name:
                return f"{c.first_name} {c.last_name}".strip()
            if c.email:
                return c.email
        return "No Contact Set"

    @field_serializer("id", "user_id", "assigned_user_id", "group_settings_id")
    def _ids(self, v: int | None) -> str:
        return encode_id(v)

    @field_serializer("created_at", "updated_at", "archived_at", "last_login")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)

    @field_serializer("size_id", "industry_id", "country_id", "shipping_country_id")
    def _codes(self, v: int | None) -> str:
        return "" if v is None else str(v)

    @field_serializer("number")
    def _number(self, v: str | None) -> str:
        return v or ""


def moment(value: datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_contact_id: int
    key: str
    sent_date: datetime | None
    viewed_date: datetime | None
    opened_date: datetime | None
    email_status: str
    email_error: str
    message_id: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")

    @computed_field
    def link(self) -> str:
        return f"{APP_URL}/client/invoice/{self.key}"

    @field_serializer("id", "client_contact_id")
    def _ids(self, v: int) -> str:
        return encode_id(v)

    @field_serializer("sent_date", "viewed_date", "opened_date")
    def _moments(self, v: datetime | None) -> str:
        return moment(v)

    @field_serializer("created_at", "updated_at", "archived_at")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int | None
    assigned_user_id: int | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(validation_alias="deleted_at")
    is_deleted: bool
    client_id: int
    project_id: int | None
    vendor_id: int | None
    design_id: int | None
    recurring_id: int | None
    subscription_id: int | None
    amount: float
    balance: float
    paid_to_date: float
    total_taxes: float
    discount: float
    partial: float
    exchange_rate: float
    tax_rate1: float
    tax_rate2: float
    tax_rate3: float
    custom_surcharge1: float
    custom_surcharge2: float
    custom_surcharge3: float
    custom_surcharge4: float
    status_id: int
    number: str | None
    po_number: str
    terms: str
    public_notes: str
    private_notes: str
    footer: str
    tax_name1: str
    tax_name2: str
    tax_name3: str
    custom_value1: str
    custom_value2: str
    custom_value3: str
    custom_value4: str
    date: dt.date | None
    due_date: dt.date | None
    partial_due_date: dt.date | None
    last_sent_date: dt.date | None
    reminder1_sent: dt.date | None
    reminder2_sent: dt.date | None
    reminder3_sent: dt.date | None
    reminder_last_sent: dt.date | None
    next_send_date: datetime | None
    uses_inclusive_taxes: bool
    is_amount_discount: bool
    auto_bill_enabled: bool
    custom_surcharge_tax1: bool
    custom_surcharge_tax2: bool
    custom_surcharge_tax3: bool
    custom_surcharge_tax4: bool
    has_tasks: bool = False
    has_expenses: bool = False
    line_items: list[Any]
    entity_type: str = "invoice"
    tax_info: dict[str, Any] = Field(validation_alias="tax_data")
    e_invoice: dict[str, Any]
    documents: list[DocumentOut]
    invitations: list[InvitationOut]
    client: ClientOut | None = Field(default=None, exclude_if=lambda v: v is None)

    @field_serializer(
        "id",
        "user_id",
        "assigned_user_id",
        "client_id",
        "project_id",
        "vendor_id",
        "design_id",
        "recurring_id",
        "subscription_id",
    )
    def _ids(self, v: int | None) -> str:
        return encode_id(v)

    @field_serializer("created_at", "updated_at", "archived_at")
    def _ts(self, v: datetime | None) -> int:
        return epoch(v)

    @field_serializer(
        "date",
        "due_date",
        "partial_due_date",
        "last_sent_date",
        "reminder1_sent",
        "reminder2_sent",
        "reminder3_sent",
        "reminder_last_sent",
    )
    def _dates(self, v: dt.date | None) -> str:
        return v.isoformat() if v is not None else ""

    @field_serializer("next_send_date")
    def _moment(self, v: datetime | None) -> str:
        return moment(v)

    @field_serializer("status_id")
    def _status(self, v: int) -> str:
        return str(v)

    @field_serializer("number")
    def _number(self, v: str | None) -> str:
        return v or ""


class Pagination(BaseModel):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    links: dict[str, str]


class Meta(BaseModel):
    pagination: Pagination


class ClientItem(BaseModel):
    data: ClientOut


class ClientPage(BaseModel):
    data: list[ClientOut]
    meta: Meta


class InvoicePage(BaseModel):
    data: list[InvoiceOut]
    meta: Meta


class ContactIn(BaseModel):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


class ClientIn(BaseModel):
    name: str = ""
    website: str = ""
    city: str = ""
    contacts: list[ContactIn] = []


# ---- dependencies ------------------------------------------------------------------------------------
async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


class Principal(BaseModel):
    company_id: int
    user_id: int
    token_id: int


async def get_principal(
    session: Session, x_api_token: Annotated[str, Header()] = "", x_requested_with: Annotated[str, Header()] = ""
) -> Principal:
    if x_requested_with != "XMLHttpRequest":
        raise HTTPException(403, "Missing or invalid X-Requested-With header")
    digest = hashlib.sha256(x_api_token.encode()).digest()
    row = (
        await session.execute(
            select(CompanyToken.company_id, CompanyToken.user_id, CompanyToken.id)
            .join(
                CompanyUser,
                and_(CompanyUser.company_id == CompanyToken.company_id, CompanyUser.user_id == CompanyToken.user_id),
            )
            .where(
                CompanyToken.token_hash == digest,
                CompanyToken.is_deleted.is_(False),
                CompanyToken.deleted_at.is_(None),
                CompanyUser.is_locked.is_(False),
            )
        )
    ).first()
    if row is None:
        raise HTTPException(403, "Invalid token")
    return Principal(company_id=row[0], user_id=row[1], token_id=row[2])


Who = Annotated[Principal, Depends(get_principal)]
LOAD = (selectinload(Client.contacts), selectinload(Client.documents), selectinload(Client.gateway_tokens))


def decode_id(value: str) -> int:
    numbers = hashids.decode(value)
    if len(numbers) != 1:
        raise HTTPException(404, "Client not found")
    return numbers[0]


def pagination(request: Request, total: int, count: int, page: int, per_page: int) -> Meta:
    total_pages = max(1, -(-total // per_page))
    base = str(request.url.replace(query=""))
    links = {}
    if page > 1:
        links["previous"] = f"{base}?page={page - 1}"
    if page < total_pages:
        links["next"] = f"{base}?page={page + 1}"
    return Meta(
        pagination=Pagination(
            total=total, count=count, per_page=per_page, current_page=page, total_pages=total_pages, links=links
        )
    )


# ---- routes ------------------------------------------------------------------------------------------
@app.get("/api/v1/clients", response_model=ClientPage)
async def list_clients(
    request: Request, who: Who, session: Session, page: int = 1, per_page: int = 20, include: str = ""
) -> ClientPage:
    page, per_page = max(page, 1), min(max(per_page, 1), 5000)
    total = await session.scalar(select(func.count()).select_from(Client).where(Client.company_id == who.company_id))
    result = await session.scalars(
        select(Client)
        .where(Client.company_id == who.company_id)
        .order_by(Client.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .options(*LOAD)
    )
    clients = result.all()
    return ClientPage(
        data=[ClientOut.model_validate(c) for c in clients],
        meta=pagination(request, total or 0, len(clients), page, per_page),
    )


@app.get("/api/v1/clients/{client_id}", response_model=ClientItem)
async def show_client(client_id: str, who: Who, session: Session) -> ClientItem:
    client = (
        await session.scalars(
            select(Client).where(Client.company_id == who.company_id, Client.id == decode_id(client_id)).options(*LOAD)
        )
    ).first()
    if client is None:
        raise HTTPException(404, "Client not found")
    return ClientItem(data=ClientOut.model_validate(client))


@app.post("/api/v1/clients", response_model=ClientItem)
async def create_client(body: ClientIn, who: Who, session: Session) -> ClientItem:
    company = (await session.scalars(select(Company).where(Company.id == who.company_id).with_for_update())).one()
    settings = dict(company.settings)
    counter = max(1, int(settings.get("client_number_counter") or 1))
    padding = int(settings.get("counter_padding", 4))
    while True:
        number = str(counter).zfill(padding)
        counter += 1
        taken = await session.scalar(
            select(Client.id).where(Client.company_id == who.company_id, Client.number == number)
        )
        if taken is None:
            break
    settings["client_number_counter"] = counter
    company.settings = settings
    country = str(settings.get("country_id") or "")
    client = Client(
        company_id=who.company_id,
        user_id=who.user_id,
        name=body.name.strip(),
        website=body.website,
        city=body.city,
        number=number,
        client_hash=secrets.token_hex(20),
        country_id=int(country) if country.isdigit() else None,
        settings={
            "entity": "App\\Models\\Client",
            "industry_id": "",
            "size_id": "",
            "currency_id": str(settings.get("currency_id") or "1"),
        },
    )
    session.add(client)
    await session.flush()
    for i, c in enumerate(body.contacts or [ContactIn()]):
        session.add(
            ClientContact(
                company_id=who.company_id,
                client_id=client.id,
                user_id=who.user_id,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                is_primary=i == 0,
                contact_key=secrets.token_hex(16),
            )
        )
    session.add(
        Activity(
            company_id=who.company_id,
            user_id=who.user_id,
            token_id=who.token_id,
            activity_type_id=1,
            client_id=client.id,
        )
    )
    await session.commit()
    fresh = (
        await session.scalars(
            select(Client)
            .where(Client.company_id == who.company_id, Client.id == client.id)
            .options(*LOAD)
            .execution_options(populate_existing=True)
        )
    ).one()
    return ClientItem(data=ClientOut.model_validate(fresh))


CLIENT_STATUS = {"draft": [1], "paid": [4], "cancelled": [5], "unpaid": [2, 3]}
INVOICE_SORTS = {
    "date": Invoice.date,
    "due_date": Invoice.due_date,
    "balance": Invoice.balance,
    "amount": Invoice.amount,
    "id": Invoice.id,
}


@app.get("/api/v1/invoices", response_model=InvoicePage)
async def list_invoices(
    request: Request,
    who: Who,
    session: Session,
    page: int = 1,
    per_page: int = 20,
    include: str = "",
    client_status: str = "",
    sort: str = "",
) -> InvoicePage:
    page, per_page = max(page, 1), min(max(per_page, 1), 5000)
    where = [Invoice.company_id == who.company_id]
    statuses = [s for name in client_status.split(",") for s in CLIENT_STATUS.get(name.strip(), [])]
    if statuses:
        where.append(Invoice.status_id.in_(statuses))
    column, _, direction = sort.partition("|")
    order = INVOICE_SORTS.get(column, Invoice.id)
    order_by = (
        (order.asc().nulls_last(), Invoice.id.asc())
        if direction == "asc" or not sort
        else (order.desc().nulls_last(), Invoice.id.desc())
    )
    options = [selectinload(Invoice.invitations), selectinload(Invoice.documents)]
    if "client" in include.split(","):
        options.append(selectinload(Invoice.client).options(*LOAD))
    total = await session.scalar(select(func.count()).select_from(Invoice).where(*where))
    invoices = (
        await session.scalars(
            select(Invoice)
            .where(*where)
            .order_by(*order_by)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .options(*options)
        )
    ).all()
    return InvoicePage(
        data=[InvoiceOut.model_validate(i) for i in invoices],
        meta=pagination(request, total or 0, len(invoices), page, per_page),
    )
