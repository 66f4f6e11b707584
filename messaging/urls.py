from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("conversations/", views.conversations, name="conversations"),
    path("conversations/<int:conversation_id>/", views.conversation, name="conversation"),
    path("conversations/<int:conversation_id>/messages/", views.conversation_messages, name="conversation_messages"),
    path("conversations/direct/<int:user_id>/", views.direct, name="direct"),
    path("conversations/about/<str:kind>/<int:object_id>/", views.about, name="about"),
    path("reports/new/", views.report, name="report"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/count/", views.notifications_count, name="notifications_count"),
    path("notifications/preferences/", views.preferences, name="preferences"),
]
