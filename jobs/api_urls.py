from jobs import api
from kernel.routers import Router

router = Router()
router.register("jobs", api.JobViewSet, basename="job")
router.register("proposals", api.ProposalViewSet, basename="proposal")
router.register("job-invitations", api.InvitationViewSet, basename="job-invitation")
router.register("talent", api.TalentViewSet, basename="talent")
router.register("saved-searches", api.SavedSearchViewSet, basename="saved-search")

urlpatterns = router.urls
