package presales

func (s *Service) registerOpportunities() {}
