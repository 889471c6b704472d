from django.urls import path

from gallery import organise_views, views

app_name = "gallery"

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("photos/<int:pk>/", views.photo_detail, name="photo"),
    path("photos/<int:pk>/file/<str:kind>", views.photo_file, name="photo-file"),
    path("photos/<int:pk>/update", views.photo_update, name="photo-update"),
    path("photos/<int:pk>/delete", organise_views.photo_trash, name="photo-delete"),
    path("photos/download", organise_views.download, name="download"),
    path("albums/", organise_views.album_list, name="albums"),
    path("albums/new", organise_views.album_create, name="album-create"),
    path("albums/add", organise_views.album_add, name="album-add"),
    path("albums/<int:pk>/", organise_views.album_page, name="album"),
    path("albums/<int:pk>/update", organise_views.album_update, name="album-update"),
    path("albums/<int:pk>/delete", organise_views.album_delete, name="album-delete"),
    path("albums/<int:pk>/download", organise_views.album_download, name="album-download"),
    path("trash/", organise_views.trash_page, name="trash"),
    path("trash/restore", organise_views.trash_restore, name="trash-restore"),
    path("trash/delete", organise_views.trash_delete, name="trash-delete"),
    path("photos/<int:pk>/reprocess", views.photo_reprocess, name="photo-reprocess"),
    path("review/", views.moderation_queue, name="moderation"),
    path("review/decide", views.moderation_decide, name="moderation-decide"),
]
