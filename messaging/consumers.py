"""The live channel of a page: authenticate, subscribe, forward. Rules stay in services and selectors.

`ws/notifications/` carries the user's own events (the bell); `ws/conversations/<id>/` adds one conversation's
events. Someone who may not read the conversation is refused with close code 4404 (the WebSocket's 404), and
access is checked again before every conversation event is forwarded, so a member removed from the organization
stops receiving at the next event."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from messaging import events, selectors

NOT_FOUND = 4404
UNAUTHENTICATED = 4401


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.conversation_id = self.scope["url_route"]["kwargs"].get("conversation_id")
        self.groups_joined = []
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        if self.conversation_id is not None and not await self._may_read():
            await self.close(code=NOT_FOUND)
            return
        self.groups_joined.append(events.user_group(self.user.pk))
        if self.conversation_id is not None:
            self.groups_joined.append(events.conversation_group(self.conversation_id))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The one thing a page sends: "I am typing", forwarded to the others in the conversation."""
        if not isinstance(content, dict) or content.get("type") != "typing" or self.conversation_id is None:
            return
        if not await self._may_read():
            await self._refuse()
            return
        event = {"type": "typing", "user": self.user.pk, "name": self.user.display_name}
        await self.channel_layer.group_send(
            events.conversation_group(self.conversation_id),
            {"type": "forward", "event": {**event, "conversation": self.conversation_id}},
        )

    async def forward(self, message):
        event = message["event"]
        if "conversation" in event:
            if not await self._may_read():
                await self._refuse()
                return
            if event["type"] in {"typing", "read"} and event.get("user") == self.user.pk:
                return  # one's own typing and reading are news to the others only
        await self.send_json(event)

    async def _refuse(self):
        await self.disconnect(NOT_FOUND)
        self.groups_joined = []
        await self.close(code=NOT_FOUND)

    @database_sync_to_async
    def _may_read(self) -> bool:
        return selectors.may_read(self.user, self.conversation_id)
