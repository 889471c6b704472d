from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from duplicates import api as duplicates_api
from effects.api import PhotoVariantsView, VariantSaveAsPhotoView, VariantView
from faces.api import FaceExportView, FaceView, PhotoFacesView
from focal import accounts
from gallery import organise_api
from gallery.api import PhotoViewSet
from gallery.uploads_api import UploadsView, UploadView
from search.api import SearchView, SimilarPhotosView


def _t(name: str) -> str:
    # Not "registration/...": the admin app's templates of those names come first.
    return f"accounts/{name}.html"


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("photos", PhotoViewSet, basename="photo")

urlpatterns = [
    path("", include("gallery.urls")),
    path("", include("search.urls")),
    path("", include("effects.urls")),
    path("", include("camera.urls")),
    path("", include("faces.urls")),
    path("", include("duplicates.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogOut.as_view(), name="logout"),
    path("accounts/email/", accounts.email_address, name="account_email"),
    path("accounts/password/reset/", accounts.PasswordReset.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name=_t("password_reset_done")),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name=_t("password_reset_confirm"), form_class=accounts.NewPasswordForm
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name=_t("password_reset_complete")),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name=_t("password_change_form"), form_class=accounts.ChangePasswordForm
        ),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name=_t("password_change_done")),
        name="password_change_done",
    ),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("admin/", admin.site.urls),
    path("api/photos/bulk/", organise_api.BulkView.as_view(), name="api-bulk"),
    path("api/", include(router.urls)),
    path("api/photos/<int:pk>/restore/", organise_api.RestoreView.as_view(), name="api-restore"),
    path("api/trash/", organise_api.TrashView.as_view(), name="api-trash"),
    path("api/trash/<int:pk>/", organise_api.TrashedPhotoView.as_view(), name="api-trashed"),
    path("api/albums/", organise_api.AlbumsView.as_view(), name="api-albums"),
    path("api/albums/<int:pk>/", organise_api.AlbumView.as_view(), name="api-album"),
    path(
        "api/albums/<int:pk>/photos/",
        organise_api.AlbumPhotosView.as_view(),
        name="api-album-photos",
    ),
    path("api/photos/<int:pk>/similar/", SimilarPhotosView.as_view(), name="api-similar"),
    path("api/search/", SearchView.as_view(), name="api-search"),
    path("api/uploads/", UploadsView.as_view(), name="api-uploads"),
    path("api/uploads/<uuid:pk>/", UploadView.as_view(), name="api-upload"),
    path("api/photos/<int:pk>/variants/", PhotoVariantsView.as_view(), name="api-variants"),
    path("api/variants/<int:pk>/", VariantView.as_view(), name="api-variant"),
    path(
        "api/variants/<int:pk>/save-as-photo/",
        VariantSaveAsPhotoView.as_view(),
        name="api-variant-save-as-photo",
    ),
    path("api/photos/<int:pk>/faces/", PhotoFacesView.as_view(), name="api-photo-faces"),
    path("api/faces/export", FaceExportView.as_view(), name="api-faces-export"),
    path("api/faces/<int:pk>/", FaceView.as_view(), name="api-face"),
    path("api/duplicates/", duplicates_api.DuplicatesView.as_view(), name="api-duplicates"),
    path("api/duplicates/keep/", duplicates_api.KeepView.as_view(), name="api-duplicates-keep"),
    path(
        "api/duplicates/keep-suggested/",
        duplicates_api.KeepSuggestedView.as_view(),
        name="api-duplicates-keep-suggested",
    ),
    path(
        "api/duplicates/not-duplicates/",
        duplicates_api.NotDuplicatesView.as_view(),
        name="api-duplicates-not-duplicates",
    ),
    path("api/duplicates/undo/", duplicates_api.UndoView.as_view(), name="api-duplicates-undo"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI: its script is a separate file (no inline script); it styles itself inline.
    path(
        "api/docs/",
        csp_update({"style-src": "'unsafe-inline'"})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

admin.site.site_header = "Focal administration"
admin.site.site_title = "Focal"

handler400 = "focal.errors.bad_request"
handler403 = "focal.errors.permission_denied"
handler404 = "focal.errors.page_not_found"
handler500 = "focal.errors.server_error"
